using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Broadcast.Baselines.Naive;

/// <summary>
/// Receives from each client and, for every message, awaits SendAsync on every other socket in turn.
/// One lock per socket because a WebSocket allows one send at a time and several publishers may
/// broadcast at once. Deliberately no queues and no batching: this is what the issue compares against.
/// </summary>
public sealed class NaiveHub
{
    private readonly ConcurrentDictionary<long, Client> _clients = new();
    private long _nextId;

    public int Count => _clients.Count;

    public async Task AcceptAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var id = Interlocked.Increment(ref _nextId);
        var self = new Client(socket);
        _clients[id] = self;
        try
        {
            await ReceiveAsync(id, socket);
        }
        catch (WebSocketException)
        {
            // The client went away.
        }
        finally
        {
            _clients.TryRemove(id, out _);
        }
    }

    private async Task ReceiveAsync(long id, WebSocket socket)
    {
        // A small buffer, as samples have, grown when a message does not fit.
        var buffer = new byte[4 * 1024];
        while (socket.State == WebSocketState.Open)
        {
            var count = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                count += result.Count;
                if (!result.EndOfMessage && count == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                return;
            }

            if (Parse(buffer.AsSpan(0, count)) is { } frame)
            {
                await BroadcastAsync(id, frame);
            }
        }
    }

    private async Task BroadcastAsync(long senderId, byte[] frame)
    {
        foreach (var (id, client) in _clients)
        {
            if (id == senderId)
            {
                continue;
            }

            await client.SendLock.WaitAsync();
            try
            {
                await client.Socket.SendAsync(frame, WebSocketMessageType.Text, true, CancellationToken.None);
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
            {
                // A closed recipient must not stop the broadcast.
            }
            finally
            {
                client.SendLock.Release();
            }
        }
    }

    private static byte[]? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            if (!document.RootElement.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            var timestamp = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture);
            return Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { message = message.GetString(), timestamp }));
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
