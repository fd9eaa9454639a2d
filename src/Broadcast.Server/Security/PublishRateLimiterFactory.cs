using Microsoft.Extensions.Options;

namespace Broadcast.Server.Security;

/// <summary>Creates each connection's <see cref="PublishRateLimiter"/> from the options.</summary>
public sealed class PublishRateLimiterFactory(IOptions<Configuration.BroadcastOptions> options, TimeProvider clock)
{
    public PublishRateLimiter Create() => new(options.Value.Limits, clock);
}
