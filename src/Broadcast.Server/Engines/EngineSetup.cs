using Microsoft.Extensions.Options;

namespace Broadcast.Server.Engines;

public static class EngineSetup
{
    /// <summary>What every engine shares: the choice of engine, the stream settings and the background retry.</summary>
    public static IServiceCollection AddEngineContract(this IServiceCollection services)
    {
        services.AddOptions<EngineOptions>().BindConfiguration(EngineOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EngineOptions>, EngineOptionsValidator>();
        services.AddOptions<StreamOptions>().BindConfiguration(StreamOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<BackgroundRetry>();
        return services;
    }
}
