using Broadcast.Server.Security;

namespace Broadcast.Server.Protocol;

/// <summary>The backend's answer to an <c>rpc</c> request: <paramref name="Data"/> (raw JSON, null for none), or a refusal.</summary>
public sealed record RpcAnswer(byte[]? Data, BackendRefusal? Refusal);
