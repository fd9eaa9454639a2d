using System.Collections.Concurrent;
using Broadcast.Server.Channels;
using Broadcast.Server.Transport.HttpStreaming;

namespace Broadcast.Server.Connections;

/// <summary>The HTTP streams open on this node, found by the token their POSTs carry.</summary>
internal sealed class HttpStreamRegistry(NodeIdentity node)
{
    private readonly ConcurrentDictionary<long, OpenStream> _streams = new();

    public string NodeId => node.Id;

    public StreamToken NewToken(long connectionId) => StreamToken.Create(node.Id, connectionId);

    public OpenStream Add(StreamToken token, HttpStreamConnection connection)
    {
        var stream = new OpenStream(token, connection);
        _streams[token.ConnectionId] = stream;
        return stream;
    }

    public void Remove(StreamToken token) => _streams.TryRemove(token.ConnectionId, out _);

    /// <summary>Whether <paramref name="presented"/> names a stream of another node (its first part, which the token shows anyway).</summary>
    public bool IsOfAnotherNode(StreamToken presented) => !string.Equals(presented.Node, node.Id, StringComparison.Ordinal);

    /// <summary>The open stream whose token this is, or null: unknown, ended, of another node, or a wrong secret all look the same.</summary>
    public OpenStream? Find(StreamToken presented)
    {
        if (!string.Equals(presented.Node, node.Id, StringComparison.Ordinal) || !_streams.TryGetValue(presented.ConnectionId, out var stream))
        {
            return null;
        }

        return stream.Token.Matches(presented) ? stream : null;
    }

    /// <summary>One open stream; its POSTs are handled one at a time, in the order they take <see cref="Turn"/>.</summary>
    internal sealed class OpenStream(StreamToken token, HttpStreamConnection connection)
    {
        public StreamToken Token { get; } = token;

        public HttpStreamConnection Connection { get; } = connection;

        public SemaphoreSlim Turn { get; } = new(1, 1);
    }
}
