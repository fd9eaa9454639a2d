using System.Text;

namespace Broadcast.Server.Backend.Users;

/// <summary>The close a user's connections get when the application disconnects the user (docs/protocol.md, close codes).</summary>
public static class UserDisconnect
{
    /// <summary>The close code when the request names none.</summary>
    public const int DefaultCode = 4001;

    public const string DefaultReason = "disconnected by the application";

    /// <summary>A close frame's reason has room for 123 bytes of UTF-8.</summary>
    public const int MaxReasonBytes = 123;

    /// <summary>The application's own range of close codes (RFC 6455, 7.4.2).</summary>
    public static bool IsValidCode(int code) => code is >= 4000 and <= 4999;

    public static bool IsValidReason(string reason) => Encoding.UTF8.GetByteCount(reason) <= MaxReasonBytes;
}
