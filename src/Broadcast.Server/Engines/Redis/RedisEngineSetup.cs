using Microsoft.Extensions.Options;

namespace Broadcast.Server.Engines.Redis;

public static class RedisEngineSetup
{
    /// <summary>Registers the Redis engine (created only if chosen) and checks its settings at start-up.</summary>
    public static IServiceCollection AddRedisEngine(this IServiceCollection services)
    {
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<RedisOptions>, RedisOptionsValidator>();
        services.AddSingleton<RedisEngine>();
        return services;
    }
}
