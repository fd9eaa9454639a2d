using System.Globalization;

namespace Broadcast.Server.Protocol;

/// <summary>
/// The timestamp every dialect sends: Python's <c>datetime.now(timezone.utc).isoformat()</c>, which the
/// original server sent, e.g. <c>2026-11-26T10:15:30.123456+00:00</c>.
/// </summary>
public static class WireTimestamp
{
    /// <summary>Length of a formatted timestamp.</summary>
    public const int Length = 32;

    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'";

    /// <summary>Writes the timestamp as UTF-8 into exactly <see cref="Length"/> bytes.</summary>
    public static void Write(DateTime timestampUtc, Span<byte> destination)
    {
        if (!timestampUtc.TryFormat(destination, out var written, Format, CultureInfo.InvariantCulture) || written != Length)
        {
            throw new InvalidOperationException("The timestamp did not format to its fixed length.");
        }
    }
}
