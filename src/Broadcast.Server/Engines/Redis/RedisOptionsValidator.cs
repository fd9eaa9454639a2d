using Microsoft.Extensions.Options;

namespace Broadcast.Server.Engines.Redis;

/// <summary>
/// The Redis settings must be usable when the Redis engine is chosen. Checked at start-up, not when the node
/// first connects in the background, where a bad one would leave a node that runs but can never reach Redis.
/// </summary>
internal sealed class RedisOptionsValidator(IOptions<EngineOptions> engine) : IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisOptions options)
    {
        var failures = new List<string>();
        var hasConfiguration = !string.IsNullOrWhiteSpace(options.Configuration);
        if (engine.Value.Engine == EngineKind.Redis && !hasConfiguration && options.Shards.Length == 0)
        {
            failures.Add("Broadcast:Redis:Configuration (or Broadcast:Redis:Shards) is required when Broadcast:Engine is Redis (for example 'localhost:6379').");
        }

        if (hasConfiguration && options.Shards.Length > 0)
        {
            failures.Add("Broadcast:Redis:Configuration and Broadcast:Redis:Shards exclude each other: list every Redis in Broadcast:Redis:Shards (the first keeps the node directory and session owners).");
        }

        if (hasConfiguration && CheckConfiguration(options.Configuration!) is { } problem)
        {
            failures.Add($"Broadcast:Redis:Configuration is not a usable StackExchange.Redis configuration string (for example 'localhost:6379' or 'redis1:6379,password=…'): {problem}");
        }

        for (var i = 0; i < options.Shards.Length; i++)
        {
            if ((string.IsNullOrWhiteSpace(options.Shards[i]) ? "it is empty" : CheckConfiguration(options.Shards[i])) is { } shardProblem)
            {
                failures.Add($"Broadcast:Redis:Shards:{i} is not a usable StackExchange.Redis configuration string (for example 'redis2:6379'): {shardProblem}");
            }
        }

        if (!Enum.IsDefined(options.PubSub))
        {
            failures.Add("Broadcast:Redis:PubSub must be Auto, Classic or Sharded.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Why the Redis client would refuse <paramref name="configuration"/>, or null.</summary>
    private static string? CheckConfiguration(string configuration)
    {
        try
        {
            return StackExchange.Redis.ConfigurationOptions.Parse(configuration).EndPoints.Count == 0 ? "it names no host:port" : null;
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
        }
    }
}
