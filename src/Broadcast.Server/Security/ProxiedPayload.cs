namespace Broadcast.Server.Security;

/// <summary>
/// A publication's payload as the publish proxy sees it: its kind and its bytes (kept apart from the engines'
/// payload type, since decisions do not depend on how the engines store publications).
/// </summary>
public readonly record struct ProxiedPayload(ProxiedPayloadKind Kind, byte[] Bytes);
