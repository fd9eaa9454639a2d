namespace Broadcast.Server.Security;

/// <summary>The backend's answer to a client connecting without a token.</summary>
/// <param name="Refusal">Set when the client may not connect.</param>
/// <param name="Principal">Who the client is and what it may do, when the backend named a user or permissions; null: anonymous.</param>
/// <param name="Data">JSON the backend gave for the client (sent in <c>welcome</c>); null when none.</param>
public sealed record ConnectVerdict(BackendRefusal? Refusal, ClientPrincipal? Principal, byte[]? Data)
{
    public static readonly ConnectVerdict AllowedAnonymous = new(null, null, null);
}
