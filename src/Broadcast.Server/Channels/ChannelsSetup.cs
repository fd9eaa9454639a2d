namespace Broadcast.Server.Channels;

public static class ChannelsSetup
{
    /// <summary>This node's fan-out (the engine's listener), the subscribe/publish orchestration and their settings.</summary>
    public static IServiceCollection AddChannels(this IServiceCollection services)
    {
        services.AddOptions<ChannelOptions>().BindConfiguration(ChannelOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<HistoryPageOptions>().BindConfiguration(HistoryPageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<NodeIdentity>();
        services.AddSingleton<ChannelHub>();
        services.AddSingleton<Engines.IEngineListener>(sp => sp.GetRequiredService<ChannelHub>());
        services.AddSingleton<ChannelService>();
        services.AddHostedService<ExpiredPresenceReporter>();
        return services;
    }
}
