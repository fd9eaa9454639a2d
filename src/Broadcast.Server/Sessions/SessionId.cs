using System.Security.Cryptography;

namespace Broadcast.Server.Sessions;

/// <summary>
/// Session ids: the stable identity of a client across reconnects. Publications carry it as their
/// origin, so a client is never sent its own publications, and retries are deduplicated by it.
/// </summary>
public static class SessionId
{
    public const int MinLength = 8;
    public const int MaxLength = 64;

    /// <summary>Origin of publications made through the HTTP API; never a valid client session id (too short).</summary>
    public const string Http = "http";

    /// <summary>A new random id: 128 bits, URL-safe base64 (22 characters).</summary>
    public static string New()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

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
}
