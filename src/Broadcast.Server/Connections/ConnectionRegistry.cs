using System.Collections.Concurrent;

namespace Broadcast.Server.Connections;

/// <summary>
/// Every open client connection on this node. Safe under concurrency: connections come and go
/// while broadcasts enumerate the set (enumeration is lock-free and tolerates changes).
/// </summary>
public sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<long, ClientSession> _connections = new();
    private long _nextId;

    public int Count => _connections.Count;

    internal long NextId() => Interlocked.Increment(ref _nextId);

    internal void Add(ClientSession connection) => _connections[connection.Id] = connection;

    internal bool Remove(ClientSession connection) => _connections.TryRemove(connection.Id, out _);

    /// <summary>A lock-free enumeration; a connection added or removed meanwhile may or may not appear.</summary>
    public IEnumerable<ClientSession> All()
    {
        foreach (var entry in _connections)
        {
            yield return entry.Value;
        }
    }
}
