using Broadcast.Server.Api;
using Broadcast.Server.Channels;
using Broadcast.Server.Configuration;
using Broadcast.Server.Connections;
using Broadcast.Server.Diagnostics;
using Broadcast.Server.Engines;
using Broadcast.Server.Engines.Memory;
using Broadcast.Server.Engines.Redis;
using Broadcast.Server.Http;
using Broadcast.Server.Protocol;
using Broadcast.Server.WebApp;
using Microsoft.Extensions.Options;

namespace Broadcast.Server;

/// <summary>Composes the server. Program.cs and the tests both build it from here.</summary>
public static class BroadcastServer
{
    /// <summary>The original server listened on port 8000; so does this one unless told otherwise.</summary>
    public const string DefaultUrl = "http://localhost:8000";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });

        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Services.AddBroadcastOptions();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddBroadcastTelemetry();
        builder.Services.AddSingleton<ConnectionRegistry>();
        builder.Services.AddSingleton<ConnectionEvents>();
        builder.Services.AddSingleton<ShutdownDrain>();
        builder.Services.AddSingleton<NodeIdentity>();
        builder.Services.AddSingleton<ChannelHub>();
        builder.Services.AddSingleton<MemoryEngine>();
        builder.Services.AddSingleton<RedisEngine>();
        // One setting swaps the engine; only the chosen one is ever created.
        builder.Services.AddSingleton<IEngine>(services =>
            services.GetRequiredService<IOptions<BroadcastOptions>>().Value.Engine == EngineKind.Redis
                ? services.GetRequiredService<RedisEngine>()
                : services.GetRequiredService<MemoryEngine>());
        builder.Services.AddReadinessChecks();
        builder.Services.AddSingleton<Security.OriginPolicy>();
        builder.Services.AddSingleton<Security.ConnectionLimiter>();
        builder.Services.AddSingleton<Security.LimitMetrics>();
        builder.Services.AddSingleton<Security.AddressSocketLimiter>();
        builder.Services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>()
            .Configure<IOptions<BroadcastOptions>, Security.ConnectionLimiter, Security.AddressSocketLimiter>((kestrel, broadcast, limiter, sockets) =>
            {
                // Every endpoint counts its sockets per address from the first byte, before any request is read.
                kestrel.ConfigureEndpointDefaults(listen => listen.Use(sockets.Wrap));
                // Both: a client that sends nothing at all waits on Kestrel's keep-alive timeout (130 s by
                // default), not on the request-headers one; neither may hold a connection past the deadline.
                kestrel.Limits.RequestHeadersTimeout = broadcast.Value.Limits.HandshakeTimeout;
                kestrel.Limits.KeepAliveTimeout = broadcast.Value.Limits.HandshakeTimeout;
                kestrel.Limits.MaxConcurrentConnections = limiter.TransportLimit;
            });
        builder.Services.AddSingleton<Security.ClientBudgets>();
        builder.Services.AddSingleton<NodeHeartbeat>();
        builder.Services.AddHostedService(services => services.GetRequiredService<NodeHeartbeat>());
        builder.Services.AddSingleton<ChannelService>();
        builder.Services.AddSingleton<Security.TokenValidator>();
        builder.Services.AddSingleton<Security.ChannelAuthorizer>();
        builder.Services.AddSingleton<Security.ConnectionAuthenticator>();
        builder.Services.AddSingleton<ExtendedProtocolHandler>();
        builder.Services.AddSingleton<ApiKeyFilter>();
        builder.Services.AddSingleton<WebSocketEndpoint>();
        builder.Services.AddSingleton<WebAppFiles>();
        builder.Services.AddApiDocumentation();
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<BroadcastOptions>>((host, broadcast) =>
        {
            // Give the drain its full time, plus the close handshake, before the host gives up.
            host.ShutdownTimeout = broadcast.Value.ShutdownTimeout + broadcast.Value.CloseTimeout + TimeSpan.FromSeconds(2);
        });

        configure?.Invoke(builder);
        LoggingSetup.Validate(builder.Configuration);

        var app = builder.Build();
        // Created eagerly so it hooks ApplicationStopping before the host can stop.
        app.Services.GetRequiredService<ShutdownDrain>();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (app.Services.GetRequiredService<Security.OriginPolicy>().AllowsAll)
            {
                ConnectionLog.AnyOriginAllowed(app.Logger);
            }

            // Connect to Redis right away (in the background) so a wrong address shows in the log at start.
            if (app.Services.GetRequiredService<IEngine>() is RedisEngine redis)
            {
                _ = redis.StartAsync();
            }
        });

        app.UseWebSockets();
        app.UseBroadcastWebSocket();
        app.UseWebApp();
        app.MapApiDocumentation();
        app.MapStatusEndpoints();
        app.MapReadiness();
        app.MapBroadcastWebSocket();
        app.MapChannelApi();
        app.MapMetrics();
        app.MapAdmin();
        return app;
    }
}
