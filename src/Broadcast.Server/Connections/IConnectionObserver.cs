namespace Broadcast.Server.Connections;

/// <summary>What connections and their dialects report (metrics); implemented outside them.</summary>
public interface IConnectionObserver
{
    /// <param name="transport">The transport's name (<c>websocket</c>, <c>http_stream</c>, <c>sse</c>).</param>
    void ConnectionOpened(string dialect, string transport);

    /// <param name="reason">The label also logged (client_closed, policy_violation, connection_lost…).</param>
    /// <param name="closeCode">The WebSocket close code, if the close handshake happened.</param>
    void ConnectionClosed(string dialect, string transport, string reason, int? closeCode, TimeSpan duration);

    /// <summary>A valid message (a publish) was received and admitted.</summary>
    void MessageReceived();

    /// <summary>Input refused, by error code (also refused upgrades: <c>origin_forbidden</c>, <c>host_forbidden</c>).</summary>
    void MessageRejected(string code);

    void BytesReceived(int count);
}
