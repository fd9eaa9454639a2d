using Broadcast.Server.Backend.Proxies;
using Broadcast.Server.Backend.Users;
using Broadcast.Server.Backend.Webhooks;
using Broadcast.Server.Channels;
using Broadcast.Server.Protocol;
using Broadcast.Server.Security;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Backend;

public static class BackendSetup
{
    /// <summary>The application's backend: the proxies (connect, subscribe, publish, refresh, rpc) and their settings; its actions on users.</summary>
    public static IServiceCollection AddBackend(this IServiceCollection services)
    {
        services.AddOptions<ProxyOptions>().BindConfiguration(ProxyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        AddProxy<ConnectProxyOptions>(services, ConnectProxyOptions.Section);
        AddProxy<SubscribeProxyOptions>(services, SubscribeProxyOptions.Section);
        AddProxy<PublishProxyOptions>(services, PublishProxyOptions.Section);
        AddProxy<RefreshProxyOptions>(services, RefreshProxyOptions.Section);
        AddProxy<RpcProxyOptions>(services, RpcProxyOptions.Section);
        services.AddHttpClient(ProxyClient.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Bounded, so a burst of connects cannot open sockets to the backend without end.
                MaxConnectionsPerServer = 256,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                AllowAutoRedirect = false,
                UseCookies = false,
            });
        services.AddSingleton<ProxyClient>();
        services.AddSingleton<BackendHooks>();
        services.AddSingleton<IBackendHooks>(sp => sp.GetRequiredService<BackendHooks>());
        services.AddSingleton<IRpcBackend>(sp => sp.GetRequiredService<BackendHooks>());

        // The application's actions on users (disconnect, unsubscribe), sent to every node through the engine.
        services.AddSingleton<UserActions>();
        services.AddSingleton<UserCommandListener>();
        services.AddHostedService<UserCommandSubscription>();
        AddWebhooks(services);
        return services;
    }

    /// <summary>Webhooks: channel events queued in the engine and POSTed, signed, to the backend (off unless Broadcast:Webhooks:Url).</summary>
    private static void AddWebhooks(IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>();
        services.AddHttpClient(WebhookSender.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // One batch at a time per node: a few connections are plenty.
                MaxConnectionsPerServer = 4,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                AllowAutoRedirect = false,
                UseCookies = false,
            });
        services.AddSingleton<WebhookQueue>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<IChannelEvents, WebhookEvents>();
        services.AddHostedService<WebhookDelivery>();
    }

    private static void AddProxy<TOptions>(IServiceCollection services, string section)
        where TOptions : ProxyEndpointOptions
    {
        // Checked by the validator rather than by data annotations, so each message names this proxy's own key.
        services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, ProxyEndpointOptionsValidator<TOptions>>();
    }
}
