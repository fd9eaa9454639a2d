using Broadcast.Server.Channels;
using Broadcast.Server.Security;
using Broadcast.Server.Transport;

namespace Broadcast.Server.Connections;

/// <summary>A new client's session: its id and key on this node, its budgets, its principal (with the deadline that comes with it), its registration.</summary>
internal sealed class SessionFactory(NodeIdentity node, ConnectionRegistry registry, ShutdownDrain drain, ClientBudgets budgets, SessionPrincipal principals, IConnectionObserver metrics)
{
    /// <summary>The id of the next connection on this node.</summary>
    public long NextId() => registry.NextId();

    /// <summary>
    /// Counts the session once it is fully set up, so a client seen in /health also receives broadcasts;
    /// if shutdown began meanwhile, it is closed like every other.
    /// </summary>
    public void Register(ClientSession session)
    {
        registry.Add(session);
        if (drain.IsDraining)
        {
            // Shutdown began between the admission and the registration: close this one too.
            session.Frames.RequestClose(drain.CloseRequest);
        }
    }

    public ClientSession Create(long id, IFrameSink frames, System.Net.IPAddress? remoteAddress, IClientDialect dialect, UpgradeAuthentication auth, string transport = TransportNames.WebSocket)
    {
        var session = new ClientSession(id, node.Id, dialect.IsBinary ? new BinaryDialectFrameSink(frames, dialect) : frames, remoteAddress, dialect)
        {
            Budget = budgets.CreateConnectionBudget(remoteAddress),
            BackendHeaders = auth.ForwardedHeaders,
            ConnectData = auth.ConnectData,
            Transport = transport,
        };
        principals.Attach(session, auth.Principal);
        metrics.ConnectionOpened(dialect.Name, transport);
        return session;
    }
}
