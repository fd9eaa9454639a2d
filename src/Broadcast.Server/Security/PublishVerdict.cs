namespace Broadcast.Server.Security;

/// <summary>The backend's answer to a publish: refused, or allowed with the message as sent or replaced.</summary>
/// <param name="Replacement">The message to publish instead, as escaped JSON string content; null keeps the client's.</param>
public sealed record PublishVerdict(BackendRefusal? Refusal, byte[]? Replacement)
{
    public static readonly PublishVerdict Unchanged = new(null, null);
}
