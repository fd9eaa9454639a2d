namespace Broadcast.Server.Transport.WebSockets;

/// <summary>
/// Walks the frames a client still sends after the server's WebSocket rejected one of its frames, looking
/// for the client's close frame (its answer to ours), whose arrival shows that our close frame reached it.
/// Only frame headers are read; payloads are skipped unread.
/// </summary>
/// <remarks>
/// The walk starts where the runtime's WebSocket stopped reading, which is a frame boundary unless it
/// rejected a frame in the middle: then the walk may never find the close, and the caller falls back on the
/// end of the connection or its timeout. A wrong guess costs waiting, never a lost frame.
/// </remarks>
internal sealed class PeerCloseScanner
{
    private const byte CloseOpcode = 0x8;

    // The longest header: 2 bytes, an 8-byte length, a 4-byte mask key.
    private readonly byte[] _header = new byte[14];
    private int _headerLength;
    private long _payloadLeft;

    /// <summary>Reads <paramref name="data"/>, the next bytes from the client; true once a close frame began in them.</summary>
    public bool FindsClose(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
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
                return true;
            }

            _payloadLeft = PayloadLength();
            _headerLength = 0;
        }

        return false;
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
