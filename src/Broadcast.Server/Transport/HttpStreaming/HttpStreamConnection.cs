using System.Net;
using System.Text.Json;

namespace Broadcast.Server.Transport.HttpStreaming;

/// <summary>
/// One HTTP streaming client: the server's frames as newline-delimited JSON on one long response, the
/// client's messages from its POSTs (<see cref="ResponseStreamConnection.TryDeliverAsync"/>). The server's
/// close is a last line <c>{"type":"close","code":…,"reason":"…"}</c>; keep-alive is a <c>{"type":"ping"}</c> line.
/// </summary>
internal sealed class HttpStreamConnection(long id, IPAddress? remoteAddress, Stream body, CancellationToken requestAborted, Action abortRequest, TransportOptions options, FlushScheduler flusher, ITransportObserver observer, ILogger logger)
    : ResponseStreamConnection(id, remoteAddress, body, requestAborted, abortRequest, options, flusher, observer, logger)
{
    public const string Name = TransportNames.HttpStream;

    private static readonly byte[] Ping = """{"type":"ping"}"""u8.ToArray();

    public override string Transport => Name;

    protected override ReadOnlyMemory<byte> KeepAliveFrame => Ping;

    /// <summary>The line that says how the stream ended: the WebSocket close code and reason it stands for.</summary>
    public static byte[] CloseLine(CloseRequest close)
    {
        using var output = new MemoryStream();
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "close"u8);
            writer.WriteNumber("code"u8, (int)close.Status);
            writer.WriteString("reason"u8, close.Reason);
            writer.WriteEndObject();
        }

        output.WriteByte((byte)'\n');
        return output.ToArray();
    }

    protected override byte[] CloseFrame(CloseRequest close) => CloseLine(close);

    protected override (byte[] Buffer, int Length, int Publications, long OldestLiveTicks) TakeBatch(byte[] buffer)
    {
        var batch = new NdjsonFrameBatch(buffer);
        Queue.TakeInto(ref batch, FlushScheduler.BatchBytes);
        return (batch.Buffer, batch.Length, batch.Publications, batch.OldestLiveTicks);
    }
}
