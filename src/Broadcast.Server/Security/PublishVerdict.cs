namespace Broadcast.Server.Security;

/// <summary>The backend's answer to a publish: refused, or allowed with the payload as sent or replaced.</summary>
/// <param name="Replacement">The payload to publish instead, of the same kind as the client's; null keeps the client's.</param>
public sealed record PublishVerdict(BackendRefusal? Refusal, ProxiedPayload? Replacement)
{
    public static readonly PublishVerdict Unchanged = new(null, null);
}
