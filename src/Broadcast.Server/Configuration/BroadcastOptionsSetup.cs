using Microsoft.Extensions.Options;

namespace Broadcast.Server.Configuration;

internal static class BroadcastOptionsSetup
{
    /// <summary>Binds <see cref="BroadcastOptions"/> and validates it when the host starts, so bad settings fail fast.</summary>
    public static IServiceCollection AddBroadcastOptions(this IServiceCollection services)
    {
        services.AddOptions<BroadcastOptions>()
            .BindConfiguration(BroadcastOptions.SectionName, binder => binder.ErrorOnUnknownConfiguration = true)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<BroadcastOptions>, BroadcastOptionsValidator>();
        return services;
    }
}
