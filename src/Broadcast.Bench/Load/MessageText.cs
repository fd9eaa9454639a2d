using System.Buffers.Text;

namespace Broadcast.Bench.Load;

/// <summary>
/// The text of every message the tool publishes: <c>PPPPPP:SSSSSSSSSS:TTTTTTTTTTTTTTTTTTT:xxx…</c>, the
/// publisher, its sequence number and the scheduled send time (a Stopwatch timestamp, one monotonic
/// clock for every process on the machine), padded to the requested size. Fixed-width fields let a
/// receiver read them at known offsets without parsing JSON, and let a publisher rewrite them in place.
/// </summary>
public static class MessageText
{
    private const int PublisherDigits = 6;
    private const int SequenceDigits = 10;
    private const int TicksDigits = 19;
    private const int SequenceOffset = PublisherDigits + 1;
    private const int TicksOffset = SequenceOffset + SequenceDigits + 1;

    /// <summary>Bytes the header takes, with its trailing colon.</summary>
    public const int HeaderLength = TicksOffset + TicksDigits + 1;

    public const int MinimumLength = 40;

    /// <summary>Fills <paramref name="text"/> with a header and padding; <see cref="Stamp"/> rewrites the header later.</summary>
    public static void Initialize(Span<byte> text, int publisher)
    {
        text.Fill((byte)'x');
        Stamp(text, publisher, 0, 0);
    }

    public static void Stamp(Span<byte> text, int publisher, long sequence, long scheduledTicks)
    {
        Write(text[..PublisherDigits], publisher, PublisherDigits);
        text[PublisherDigits] = (byte)':';
        Write(text.Slice(SequenceOffset, SequenceDigits), sequence, SequenceDigits);
        text[SequenceOffset + SequenceDigits] = (byte)':';
        Write(text.Slice(TicksOffset, TicksDigits), scheduledTicks, TicksDigits);
        text[TicksOffset + TicksDigits] = (byte)':';
    }

    /// <summary>Reads a header; false when the text is not one of ours (e.g. someone else's chat message).</summary>
    public static bool TryRead(ReadOnlySpan<byte> text, out int publisher, out long sequence, out long scheduledTicks)
    {
        sequence = scheduledTicks = 0;
        publisher = 0;
        return text.Length >= HeaderLength
            && text[PublisherDigits] == ':' && text[SequenceOffset + SequenceDigits] == ':' && text[TicksOffset + TicksDigits] == ':'
            && Utf8Parser.TryParse(text[..PublisherDigits], out publisher, out var a) && a == PublisherDigits
            && Utf8Parser.TryParse(text.Slice(SequenceOffset, SequenceDigits), out sequence, out var b) && b == SequenceDigits
            && Utf8Parser.TryParse(text.Slice(TicksOffset, TicksDigits), out scheduledTicks, out var c) && c == TicksDigits;
    }

    private static void Write(Span<byte> destination, long value, int digits)
    {
        if (!Utf8Formatter.TryFormat(value, destination, out var written, new System.Buffers.StandardFormat('D', (byte)digits)) || written != digits)
        {
            throw new InvalidOperationException($"{value} does not fit in {digits} digits.");
        }
    }
}
