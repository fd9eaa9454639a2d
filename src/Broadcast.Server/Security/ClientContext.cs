namespace Broadcast.Server.Security;

/// <summary>A client as the application's backend is told about it in every call (docs/integration.md).</summary>
/// <param name="Client">The connection's id, unique across nodes; null before the connection exists (the connect call).</param>
/// <param name="Protocol"><c>legacy</c> or <c>v2</c>.</param>
/// <param name="RemoteAddress">The client's address as this server sees it (behind a proxy: the proxy's, unless forwarded headers are trusted).</param>
/// <param name="User">The user the token or the backend named; null for an anonymous client.</param>
/// <param name="Session">The public id of the client's session (v2 after hello); null before.</param>
/// <param name="Headers">The client's upgrade request headers the operator chose to forward (<see cref="IBackendHooks.ForwardedHeaders"/>).</param>
/// <param name="Transport">What carries the connection: <c>websocket</c>, <c>http_stream</c> or <c>sse</c>.</param>
public sealed record ClientContext(string? Client, string Protocol, string? RemoteAddress, string? User, string? Session, IReadOnlyDictionary<string, string> Headers, string Transport)
{
    public static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>();
}
