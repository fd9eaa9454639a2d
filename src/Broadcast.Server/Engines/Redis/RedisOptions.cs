using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Engines.Redis;

/// <summary>The Redis engine: the <c>Broadcast:Redis</c> section.</summary>
public sealed class RedisOptions
{
    public const string Section = "Broadcast:Redis";

    /// <summary>A StackExchange.Redis configuration string, e.g. <c>localhost:6379</c> or <c>redis1:6379,password=…</c>.</summary>
    public string? Configuration { get; set; }

    /// <summary>Prefix of every key and pub/sub channel, so several deployments can share one Redis.</summary>
    [RegularExpression("^[A-Za-z0-9_.:-]{1,64}$", ErrorMessage = "Broadcast:Redis:Prefix must be 1 to 64 characters of A-Z, a-z, 0-9 and _ . : -.")]
    public string Prefix { get; set; } = "broadcast";

    /// <summary>How long a node's presence entries outlive it if it dies without removing them.</summary>
    [Range(typeof(TimeSpan), "00:00:03", "01:00:00", ErrorMessage = "Broadcast:Redis:PresenceTtl must be between {1} and {2}.")]
    public TimeSpan PresenceTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an operation may wait for Redis before it fails (publishes then get an error, not a hang).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "Broadcast:Redis:OperationTimeout must be between {1} and {2}.")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
