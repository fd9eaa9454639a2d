using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Broadcast.Server.Backend.Webhooks;

/// <summary>
/// The <c>X-Broadcast-Signature</c> header: <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, t + "." + body)&gt;</c>.
/// The timestamp is signed with the body, so a receiver that refuses old timestamps refuses replays too.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "X-Broadcast-Signature";

    public static string Create(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var timestamp = unixSeconds.ToString(CultureInfo.InvariantCulture);
        var signed = new byte[timestamp.Length + 1 + body.Length];
        Encoding.ASCII.GetBytes(timestamp, signed);
        signed[timestamp.Length] = (byte)'.';
        body.CopyTo(signed.AsSpan(timestamp.Length + 1));
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
        return $"t={timestamp},v1={Convert.ToHexStringLower(mac)}";
    }
}
