namespace Broadcast.Server.Connections;

public static class ConnectionsSetup
{
    /// <summary>One client's life: admission, authentication of the upgrade, the session, the receive loop, teardown and the shutdown drain.</summary>
    public static IServiceCollection AddClientConnections(this IServiceCollection services)
    {
        services.AddOptions<ConnectionOptions>().BindConfiguration(ConnectionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<ShutdownDrain>();
        services.AddSingleton<ClientDialects>();
        services.AddSingleton<UpgradeAdmission>();
        services.AddSingleton<UpgradeAuthenticator>();
        services.AddSingleton<SessionPrincipal>();
        services.AddSingleton<SessionFactory>();
        services.AddSingleton<ReceiveLoop>();
        services.AddSingleton<SessionTeardown>();
        services.AddSingleton<SessionRunner>();
        services.AddSingleton<WebSocketEndpoint>();
        services.AddSingleton<BareSocketUpgrade>();
        services.AddSingleton<Broadcast.Server.Transport.Sockets.IBareSocketHandler>(sp => sp.GetRequiredService<BareSocketUpgrade>());
        services.AddOptions<StreamingOptions>().BindConfiguration(StreamingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<HttpStreamRegistry>();
        services.AddSingleton<HttpStreamEndpoint>();
        services.AddSingleton<SseEndpoint>();
        return services;
    }
}
