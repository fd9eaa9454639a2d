using System.Globalization;

namespace Broadcast.Server.Transport.ServerSentEvents;

/// <summary>
/// An SSE event id that carries every channel's position, so that the <c>Last-Event-ID</c> a browser sends
/// by itself on reconnect resumes each of them: <c>room=9f3c…:57,news=a81e…:3</c> (channel, <c>=</c>, epoch,
/// <c>:</c>, offset; channels joined by <c>,</c>). The same form is accepted as the <c>since</c> query parameter.
/// </summary>
public static class SseEventId
{
    /// <summary>Longest id read back: 64 channels of the longest names fit.</summary>
    public const int MaxLength = 16 * 1024;

    public static string Format(IEnumerable<SsePosition> positions) =>
        string.Join(',', positions.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Channel}={p.Epoch}:{p.Offset}")));

    /// <summary>Reads an id; false when it is not of the form (an empty one is an empty list).</summary>
    public static bool TryParse(string? text, out List<SsePosition> positions)
    {
        positions = [];
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (text.Length > MaxLength)
        {
            return false;
        }

        foreach (var entry in text.Split(','))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            var colon = entry.LastIndexOf(':');
            if (equals <= 0 || colon <= equals + 1 || colon == entry.Length - 1
                || !long.TryParse(entry.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                positions = [];
                return false;
            }

            positions.Add(new SsePosition(entry[..equals], entry[(equals + 1)..colon], offset));
        }

        return true;
    }
}
