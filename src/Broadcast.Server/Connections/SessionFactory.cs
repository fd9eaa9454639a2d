using Broadcast.Server.Channels;
using Broadcast.Server.Security;
using Broadcast.Server.Transport;

namespace Broadcast.Server.Connections;

/// <summary>A new client's session: its id and key on this node, its budgets and its principal (with the deadline that comes with it).</summary>
internal sealed class SessionFactory(NodeIdentity node, ClientBudgets budgets, SessionPrincipal principals, IConnectionObserver metrics)
{
    public ClientSession Create(long id, IFrameSink frames, System.Net.IPAddress? remoteAddress, IClientDialect dialect, ClientPrincipal? principal)
    {
        var session = new ClientSession(id, node.Id, frames, remoteAddress, dialect)
        {
            Budget = budgets.CreateConnectionBudget(remoteAddress),
        };
        principals.Attach(session, principal);
        metrics.ConnectionOpened(dialect.Name);
        return session;
    }
}
