using System.Text;

namespace Broadcast.Server.Security;

/// <summary>
/// The application's backend said no (or could not be asked, and its proxy denies then).
/// </summary>
/// <param name="Code">The error code the client gets: the backend's own (<c>[a-z][a-z0-9_]*</c>, up to 64 characters) or the server's.</param>
/// <param name="Reason">Text for people, from the backend or the server.</param>
/// <param name="CloseCode">When set (4000-4999), the connection is closed with this code and <see cref="CloseReason"/> rather than answered with an error.</param>
/// <param name="Unavailable">True when the backend was not asked successfully (down, slow, nonsense) and the proxy denies then.</param>
public sealed record BackendRefusal(string Code, string Reason, int? CloseCode = null, bool Unavailable = false)
{
    /// <summary>A close frame's reason holds at most 123 bytes of UTF-8 (RFC 6455).</summary>
    private const int MaxCloseReasonBytes = 123;

    /// <summary><see cref="Reason"/> cut to what a close frame can carry, never inside a character.</summary>
    public string CloseReason
    {
        get
        {
            if (Encoding.UTF8.GetByteCount(Reason) <= MaxCloseReasonBytes)
            {
                return Reason;
            }

            var length = Reason.Length;
            while (length > 0 && Encoding.UTF8.GetByteCount(Reason.AsSpan(0, length)) > MaxCloseReasonBytes)
            {
                length--;
            }

            // Not between the halves of a surrogate pair.
            if (length > 0 && char.IsHighSurrogate(Reason[length - 1]))
            {
                length--;
            }

            return Reason[..length];
        }
    }
}
