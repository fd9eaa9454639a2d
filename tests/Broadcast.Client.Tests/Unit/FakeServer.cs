using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;

namespace Broadcast.Client.Tests.Unit;

/// <summary>
/// Stands in for the network in unit tests: every connection the client opens arrives here as a
/// <see cref="FakeTransport"/> the test reads frames from and answers by hand.
/// </summary>
internal sealed class FakeServer
{
    private readonly Channel<FakeTransport> _connections = Channel.CreateUnbounded<FakeTransport>();
    private volatile bool _refusing;
    private int _attempts;

    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Makes connection attempts fail, as a server that is down does.</summary>
    public void Refuse(bool refuse) => _refusing = refuse;

    public IClientTransport CreateTransport() => new FakeTransport(this);

    public async Task<FakeTransport> NextConnectionAsync()
    {
        using var timeout = new CancellationTokenSource(TestClients.Timeout);
        return await _connections.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>The next connection, after answering its hello with a welcome for <paramref name="session"/>.</summary>
    public async Task<FakeTransport> AcceptAsync(string session, bool resumed = false)
    {
        var connection = await NextConnectionAsync();
        var hello = await connection.NextSentAsync();
        Assert.Equal("hello", hello.String("type"));
        connection.Push(new { type = "welcome", session, resumed, protocol = 2, limits = new { maxMessageBytes = 65536, maxChannels = 64 } });
        return connection;
    }

    internal void Connect(FakeTransport transport)
    {
        Interlocked.Increment(ref _attempts);
        if (_refusing)
        {
            throw new WebSocketException(WebSocketError.Faulted, "Connection refused (fake).");
        }

        _connections.Writer.TryWrite(transport);
    }
}
