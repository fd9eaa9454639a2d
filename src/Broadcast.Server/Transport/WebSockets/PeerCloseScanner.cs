namespace Broadcast.Server.Transport.WebSockets;

/// <summary>
/// Walks every frame the client sends, as the runtime's WebSocket reads it, looking for the client's close frame:
/// after the runtime rejected one of its frames (1007, 1002) and sent its own close, the client's close is its
/// answer, whose arrival shows that ours reached it. Only frame headers are read; payloads are skipped unread.
/// </summary>
/// <remarks>
/// It sees the stream from its first byte, not from where the runtime stopped parsing (the runtime reads ahead into
/// a buffer of its own and drops that buffer when it rejects a frame), so frame boundaries stay known, and a close
/// that was read ahead counts. Only a length the runtime rejected as unreadable (a 64-bit length with the top bit
/// set) loses the boundaries: then the walk may never find the close, and the caller falls back on the end of the
/// connection or its timeout.
/// </remarks>
internal sealed class PeerCloseScanner
{
    private const byte CloseOpcode = 0x8;

    // The longest header: 2 bytes, an 8-byte length, a 4-byte mask key.
    private readonly byte[] _header = new byte[14];
    private int _headerLength;
    private long _payloadLeft;

    /// <summary>True once a close frame from the client began.</summary>
    public bool SawClose { get; private set; }

    /// <summary>Reads <paramref name="data"/>, the next bytes from the client; true once a close frame began in them or before.</summary>
    public bool FindsClose(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty && !SawClose)
        {
            if (_payloadLeft > 0)
            {
                var skip = (int)Math.Min(_payloadLeft, data.Length);
                _payloadLeft -= skip;
                data = data[skip..];
                continue;
            }

            _header[_headerLength++] = data[0];
            data = data[1..];
            if (_headerLength < 2 || _headerLength < HeaderLength())
            {
                continue;
            }

            if ((_header[0] & 0x0F) == CloseOpcode)
            {
                SawClose = true;
                break;
            }

            _payloadLeft = PayloadLength();
            _headerLength = 0;
        }

        return SawClose;
    }

    private int HeaderLength()
    {
        var mask = (_header[1] & 0x80) != 0 ? 4 : 0;
        return (_header[1] & 0x7F) switch
        {
            126 => 4 + mask,
            127 => 10 + mask,
            _ => 2 + mask,
        };
    }

    private long PayloadLength() => (_header[1] & 0x7F) switch
    {
        126 => (_header[2] << 8) | _header[3],
        127 => (long)(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(2, 8)) & long.MaxValue),
        var length => length,
    };
}
