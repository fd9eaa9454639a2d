using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;

namespace Broadcast.Server.Connections;

/// <summary>
/// The credential that binds a client's POSTs to its HTTP stream: <c>{node}.{connection}.{secret}</c>, the
/// secret 256 random bits. It is not the session token (which the client sends in <c>hello</c>, through it):
/// it names one stream on one node, dies with it, and is compared in constant time.
/// </summary>
internal readonly record struct StreamToken(string Node, long ConnectionId, byte[] Secret)
{
    private const int SecretBytes = 32;

    public static StreamToken Create(string node, long connectionId) => new(node, connectionId, RandomNumberGenerator.GetBytes(SecretBytes));

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Node}.{ConnectionId}.{Base64Url.EncodeToString(Secret)}");

    /// <summary>Reads a token a client sent; false for anything not of the form (which matches no stream).</summary>
    public static bool TryParse(string? text, out StreamToken token)
    {
        token = default;
        if (string.IsNullOrEmpty(text) || text.Length > 200)
        {
            return false;
        }

        var parts = text.Split('.');
        if (parts.Length != 3 || parts[0].Length == 0
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            || !Base64Url.IsValid(parts[2], out var length) || length != SecretBytes)
        {
            return false;
        }

        token = new StreamToken(parts[0], id, Base64Url.DecodeFromChars(parts[2]));
        return true;
    }

    /// <summary>Whether <paramref name="presented"/> is this stream's secret, in time that does not depend on where they differ.</summary>
    public bool Matches(StreamToken presented) =>
        presented.ConnectionId == ConnectionId && CryptographicOperations.FixedTimeEquals(presented.Secret, Secret);
}
