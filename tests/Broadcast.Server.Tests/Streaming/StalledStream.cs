using System.Net.Sockets;
using System.Text;

namespace Broadcast.Server.Tests.Streaming;

/// <summary>
/// A streaming client that reads the response's head and first line, then stops reading: its socket's small
/// receive buffer fills, then the server's, then its queue. Reading again later shows what reached it.
/// </summary>
internal sealed class StalledStream : IDisposable
{
    private readonly Socket _socket;
    private readonly StringBuilder _received = new();

    private StalledStream(Socket socket) => _socket = socket;

    /// <summary>The first lines read (the head and the body's first lines), before the client stopped.</summary>
    public string Head => _received.ToString();

    public static async Task<StalledStream> OpenAsync(Uri baseAddress, string pathAndQuery, string untilText)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(baseAddress.Host, baseAddress.Port);
        var stalled = new StalledStream(socket);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET {pathAndQuery} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\n\r\n"));
        var buffer = new byte[256];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!stalled.Head.Contains(untilText, StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            stalled._received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return stalled;
    }

    /// <summary>The value of <paramref name="key"/> in the first JSON line that has it (the stream's token).</summary>
    public string FirstValue(string key)
    {
        var start = Head.IndexOf($"\"{key}\":\"", StringComparison.Ordinal) + key.Length + 4;
        return Head[start..Head.IndexOf('"', start)];
    }

    /// <summary>Reads everything until the server ends the connection, and returns it.</summary>
    public async Task<string> ReadToEndAsync(TimeSpan timeout)
    {
        var buffer = new byte[64 * 1024];
        var all = new StringBuilder();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var read = await _socket.ReceiveAsync(buffer, cts.Token);
                if (read == 0)
                {
                    break;
                }

                all.Append(Encoding.UTF8.GetString(buffer, 0, read));
            }
        }
        catch (SocketException)
        {
            // Reset after the close: what was read is what arrived.
        }

        return all.ToString();
    }

    public void Dispose() => _socket.Dispose();
}
