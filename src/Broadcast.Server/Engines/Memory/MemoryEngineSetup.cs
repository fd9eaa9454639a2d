namespace Broadcast.Server.Engines.Memory;

public static class MemoryEngineSetup
{
    /// <summary>Registers the in-memory engine and its session owners (created only if chosen).</summary>
    public static IServiceCollection AddMemoryEngine(this IServiceCollection services)
    {
        services.AddOptions<MemoryEngineOptions>().BindConfiguration(MemoryEngineOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<MemoryEngine>();
        services.AddSingleton<MemorySessionOwners>();
        services.AddSingleton<MemoryDeliveryQueueFactory>();
        return services;
    }
}
