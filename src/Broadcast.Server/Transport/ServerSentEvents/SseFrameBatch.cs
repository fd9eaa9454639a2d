namespace Broadcast.Server.Transport.ServerSentEvents;

/// <summary>
/// Server-Sent Events' framing: each frame is one event whose <c>data</c> is the frame's JSON (one line: the
/// frames are compact JSON). Publications are unnamed events (<c>message</c>, for <c>EventSource.onmessage</c>);
/// every other frame is named by its type (<c>error</c> frames as <c>broadcast-error</c>, since EventSource's
/// own <c>error</c> event means a lost connection). Publications, <c>subscribed</c>, <c>unrecovered</c> and
/// <c>unsubscribed</c> carry as their <c>id</c> every channel's position (<see cref="SseEventId"/>), so the
/// browser's <c>Last-Event-ID</c> resumes them all. A keep-alive is a comment line.
/// </summary>
internal struct SseFrameBatch(byte[] buffer, SsePositions positions) : IFrameBatch
{
    private static ReadOnlySpan<byte> Ping => ": ping\n\n"u8;

    public byte[] Buffer { get; private set; } = buffer;

    public int Length { get; private set; }

    private BatchTally _tally;

    /// <summary>Publications in the batch (replies and notices are not counted as deliveries).</summary>
    public readonly int Publications => _tally.Publications;

    /// <summary>When the oldest live publication in the batch was accepted: one latency sample per write.</summary>
    public readonly long OldestLiveTicks => _tally.OldestLiveTicks;

    public void Add(in OutboundFrame frame)
    {
        _tally.Count(frame);

        var json = frame.Bytes.Span;
        var fields = SseFrameFields.Read(json);
        var type = fields.Type;
        if (type.SequenceEqual("ping"u8))
        {
            Reserve(Ping.Length);
            Append(Ping);
            return;
        }

        var isPublication = type.SequenceEqual("pub"u8);
        var movesPosition = Move(fields, isPublication);
        Reserve(json.Length + (movesPosition ? positions.MaxLength : 0) + type.Length + 64);
        if (!isPublication)
        {
            Append("event: "u8);
            Append(type.IsEmpty ? "message"u8 : type.SequenceEqual("error"u8) ? "broadcast-error"u8 : type);
            Append("\n"u8);
        }

        if (movesPosition)
        {
            Append("id: "u8);
            Length += positions.WriteTo(Buffer.AsSpan(Length));
            Append("\n"u8);
        }

        Append("data: "u8);
        Append(json);
        Append("\n\n"u8);
    }

    /// <summary>Moves the channel's position for the frames that do; true when the event is to carry the id.</summary>
    private readonly bool Move(in SseFrameFields fields, bool isPublication)
    {
        var type = fields.Type;
        if (fields.Channel.IsEmpty)
        {
            return false;
        }

        if (isPublication || type.SequenceEqual("unrecovered"u8) || (type.SequenceEqual("subscribed"u8) && !fields.Recovered))
        {
            if (fields.Epoch.IsEmpty || !fields.HasOffset)
            {
                return false;
            }

            positions.Set(fields.Channel, fields.Epoch, fields.Offset);
            return true;
        }

        if (type.SequenceEqual("subscribed"u8))
        {
            // Recovered: the replay that follows moves it from where it resumed.
            return true;
        }

        if (type.SequenceEqual("unsubscribed"u8))
        {
            positions.Remove(fields.Channel);
            return true;
        }

        return false;
    }

    private void Reserve(int bytes) => Buffer = BatchBuffer.WithRoom(Buffer, Length, Length + bytes);

    private void Append(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Buffer.AsSpan(Length));
        Length += bytes.Length;
    }
}
