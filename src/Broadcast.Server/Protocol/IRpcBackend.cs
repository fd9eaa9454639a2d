using Broadcast.Server.Security;

namespace Broadcast.Server.Protocol;

/// <summary>
/// Answers a client's <c>rpc</c> request: the application's backend (the RPC proxy, docs/integration.md), reached
/// through this interface so the dialects need not know how. Never throws: a backend that is down, slow or
/// answers nonsense gives a refusal with the code <c>backend_unavailable</c>.
/// </summary>
public interface IRpcBackend
{
    /// <summary>False when no RPC proxy is configured: requests get <c>rpc_not_configured</c>.</summary>
    bool IsConfigured { get; }

    /// <param name="data">The request's <c>data</c> as raw JSON (empty when absent).</param>
    ValueTask<RpcAnswer> CallAsync(ClientContext client, string method, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}
