using System.Security.Cryptography;
using System.Text;

namespace Broadcast.Server.Connections;

/// <summary>
/// Sessions: the stable identity of a client across reconnects. A session has two ids. Its <b>token</b> is
/// the credential: the server hands it to the client in <c>welcome</c> only, and the client sends it back in
/// <c>hello</c> to resume. Its <b>public id</b>, derived one way from the token, is what everyone else sees:
/// publications carry it as their origin (so a client is never sent its own), presence shows it, and
/// retries are deduplicated by it. Seeing a public id therefore gives nothing to resume with.
/// </summary>
public static class SessionId
{
    public const int MinLength = 8;
    public const int MaxLength = 64;

    /// <summary>Every public id starts with this, so one presented as a token is recognised and refused.</summary>
    public const string PublicPrefix = "p_";

    /// <summary>Prefix plus 22 characters of URL-safe base64 (128 bits of a SHA-256).</summary>
    public const int PublicIdLength = 24;

    /// <summary>Origin of publications made through the HTTP API; never a valid client session id (too short).</summary>
    public const string Http = "http";

    /// <summary>Separates the derivation from any other use of SHA-256 over the same text.</summary>
    private static readonly byte[] Domain = "broadcast.v2 session\n"u8.ToArray();

    /// <summary>A new random session token: 128 bits, URL-safe base64 (22 characters).</summary>
    public static string New()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return ToBase64Url(bytes);
    }

    /// <summary>
    /// The public id of the session whose token is <paramref name="token"/>: the same on every node and
    /// after every restart, and infeasible to turn back into the token.
    /// </summary>
    public static string PublicIdOf(string token)
    {
        var input = new byte[Domain.Length + Encoding.UTF8.GetByteCount(token)];
        Domain.CopyTo(input, 0);
        Encoding.UTF8.GetBytes(token, input.AsSpan(Domain.Length));
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input, hash);
        return PublicPrefix + ToBase64Url(hash[..16]);
    }

    /// <summary>True for an id of the public form: it names someone's session and is never a token.</summary>
    public static bool IsPublicId(string id) =>
        id.Length == PublicIdLength && id.StartsWith(PublicPrefix, StringComparison.Ordinal);

    public static bool IsValid(string? id)
    {
        if (id is null || id.Length is < MinLength or > MaxLength)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static string ToBase64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
