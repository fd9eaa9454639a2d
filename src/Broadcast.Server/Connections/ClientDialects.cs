namespace Broadcast.Server.Connections;

/// <summary>Every registered dialect; picks the one a client asked for by the subprotocols it offered.</summary>
public sealed class ClientDialects
{
    private readonly IClientDialect[] _offered;
    private readonly IClientDialect _default;

    public ClientDialects(IEnumerable<IClientDialect> dialects)
    {
        var all = dialects.ToArray();
        _offered = [.. all.Where(d => d.Subprotocol is not null)];
        _default = all.SingleOrDefault(d => d.Subprotocol is null) ?? throw new InvalidOperationException("No dialect for clients that offer no subprotocol is registered.");
    }

    /// <summary>The first dialect whose subprotocol the client offered; otherwise the default (the original protocol).</summary>
    public IClientDialect Choose(IList<string> requestedSubprotocols)
    {
        foreach (var dialect in _offered)
        {
            if (requestedSubprotocols.Contains(dialect.Subprotocol!))
            {
                return dialect;
            }
        }

        return _default;
    }
}
