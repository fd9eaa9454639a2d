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
        if (engine.Value.Engine == EngineKind.Redis && string.IsNullOrWhiteSpace(options.Configuration))
        {
            failures.Add("Broadcast:Redis:Configuration is required when Broadcast:Engine is Redis (for example 'localhost:6379').");
        }

        if (!string.IsNullOrWhiteSpace(options.Configuration) && CheckConfiguration(options.Configuration) is { } problem)
        {
            failures.Add($"Broadcast:Redis:Configuration is not a usable StackExchange.Redis configuration string (for example 'localhost:6379' or 'redis1:6379,password=…'): {problem}");
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
