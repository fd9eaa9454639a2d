using System.Text.Json;
using Broadcast.Server.Transport;
using Broadcast.Server.Transport.HttpStreaming;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Connections;

/// <summary>
/// HTTP streaming, for clients whose network breaks WebSocket upgrades: <c>GET /stream</c> is admitted and
/// authenticated like an upgrade and answered with one long response of <c>broadcast.v2</c> frames, one JSON
/// object per line, the first one <c>{"type":"stream","token":…}</c>; the client's frames come as POSTs to
/// <c>/stream/send</c> carrying that token in <c>Broadcast-Stream</c>, one frame per line, and are handled in
/// order by the same session as a WebSocket's messages.
/// </summary>
internal sealed class HttpStreamEndpoint(
    UpgradeAdmission admission,
    UpgradeAuthenticator authenticator,
    ClientDialects dialects,
    HttpStreamTransport transport,
    HttpStreamRegistry streams,
    SessionRunner runner,
    IOptions<StreamingOptions> options)
{
    public const string StreamPath = "/stream";
    public const string SendPath = "/stream/send";
    public const string TokenHeader = "Broadcast-Stream";

    /// <summary>Streams speak the extended protocol (newline-delimited JSON); the original one is WebSocket only.</summary>
    public static readonly string[] Offered = ["broadcast.v2"];

    private readonly StreamingOptions _options = options.Value;

    public async Task OpenAsync(HttpContext context)
    {
        var remoteAddress = context.Connection.RemoteIpAddress;
        if (!await admission.TryAdmitAsync(context, remoteAddress))
        {
            return;
        }

        try
        {
            var auth = await authenticator.AuthenticateAsync(context, Offered, TransportNames.HttpStream);
            if (auth.IsRefused)
            {
                await UpgradeAuthenticator.RefuseAsync(context, auth);
                return;
            }

            var dialect = dialects.Choose(Offered);
            var token = streams.NewToken(runner.NextId());
            var connection = await transport.StartAsync(context, token.ConnectionId, remoteAddress);

            // Findable before the client can know its token: a POST right after the first line finds the stream.
            streams.Add(token, connection);
            connection.TryEnqueue(FirstLine(token));
            try
            {
                await runner.RunAsync(connection, dialect, auth);
            }
            finally
            {
                streams.Remove(token);
                transport.Forget(connection);
            }
        }
        finally
        {
            admission.Release(remoteAddress);
        }
    }

    /// <summary>
    /// One POST of the client's frames: found by its token (404 <c>stream_unknown</c> otherwise: ended, of
    /// another stream or node, or never issued), bounded (413 <c>body_too_large</c>: none of it handled), then
    /// each line handed to the session in order (a line over <c>Broadcast:MaxMessageBytes</c> ends the stream
    /// with 1009, as on a WebSocket, and is answered 413 <c>message_too_big</c>). 202 once every line was taken.
    /// </summary>
    public async Task SendAsync(HttpContext context)
    {
        var parsed = StreamToken.TryParse(context.Request.Headers[TokenHeader].ToString(), out var presented);
        if (parsed && streams.IsOfAnotherNode(presented))
        {
            // Misrouted: the stream lives on another node. Sticky routing (by client address) keeps a client's
            // stream and its POSTs on one node; this says plainly that it did not.
            await RefuseAsync(context, StatusCodes.Status421MisdirectedRequest, "stream_elsewhere", "This stream is held by another node: route a client's /stream and /stream/send to the same node (sticky sessions).");
            return;
        }

        var stream = parsed ? streams.Find(presented) : null;
        if (stream is null)
        {
            await RefuseAsync(context, StatusCodes.Status404NotFound, "stream_unknown", "No open stream has this token (it ended, or belongs to another stream); open a new stream.");
            return;
        }

        if (context.Request.ContentLength > _options.MaxPostBytes)
        {
            await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, "body_too_large", $"A POST to {SendPath} may carry at most {_options.MaxPostBytes} bytes (Broadcast:Streaming:MaxPostBytes).");
            return;
        }

        var body = await ReadBodyAsync(context.Request.Body, _options.MaxPostBytes, context.RequestAborted);
        if (body is null)
        {
            await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, "body_too_large", $"A POST to {SendPath} may carry at most {_options.MaxPostBytes} bytes (Broadcast:Streaming:MaxPostBytes).");
            return;
        }

        var maxBytes = runner.MessageLimits.MaxBytes;
        var connection = stream.Connection;
        await stream.Turn.WaitAsync(context.RequestAborted);
        try
        {
            ReadOnlyMemory<byte> rest = body;
            while (!rest.IsEmpty)
            {
                var end = rest.Span.IndexOf((byte)'\n');
                var line = end < 0 ? rest : rest[..end];
                rest = end < 0 ? ReadOnlyMemory<byte>.Empty : rest[(end + 1)..];
                if (!line.IsEmpty && line.Span[^1] == (byte)'\r')
                {
                    line = line[..^1];
                }

                if (line.Span.Trim(" \t"u8).IsEmpty)
                {
                    continue;
                }

                if (line.Length > maxBytes)
                {
                    await connection.RefuseTooBigAsync(line.Length, maxBytes, context.RequestAborted);
                    await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, "message_too_big", $"A frame exceeds {maxBytes} bytes (Broadcast:MaxMessageBytes): the stream was closed with 1009.");
                    return;
                }

                if (!await connection.TryDeliverAsync(line, context.RequestAborted))
                {
                    await RefuseAsync(context, StatusCodes.Status410Gone, "stream_closed", "The stream is closing; its last line says why. Open a new stream.");
                    return;
                }
            }
        }
        finally
        {
            stream.Turn.Release();
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    private byte[] FirstLine(StreamToken token) => ServerFrame(writer =>
    {
        writer.WriteString("type"u8, "stream"u8);
        writer.WriteString("token"u8, token.ToString());
        writer.WriteString("send"u8, SendPath);
        writer.WriteNumber("maxPostBytes"u8, _options.MaxPostBytes);
    });

    internal static byte[] ServerFrame(Action<Utf8JsonWriter> body)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>The whole body, or null when it is longer than <paramref name="limit"/> (reading stops there).</summary>
    private static async Task<byte[]?> ReadBodyAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[Math.Min(limit + 1, 16 * 1024)];
        while (true)
        {
            var read = await body.ReadAsync(chunk, cancellationToken);
            if (read == 0)
            {
                return buffer.ToArray();
            }

            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }
    }

    private static Task RefuseAsync(HttpContext context, int status, string code, string error)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error, code });
    }
}
