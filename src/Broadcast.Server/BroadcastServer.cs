using Broadcast.Server.Backend;
using Broadcast.Server.Channels;
using Broadcast.Server.Configuration;
using Broadcast.Server.Connections;
using Broadcast.Server.Diagnostics;
using Broadcast.Server.Engines;
using Broadcast.Server.Engines.Memory;
using Broadcast.Server.Engines.Redis;
using Broadcast.Server.Http;
using Broadcast.Server.Protocol;
using Broadcast.Server.Security;
using Broadcast.Server.Transport;
using Microsoft.Extensions.Options;

namespace Broadcast.Server;

/// <summary>Composes the server. Program.cs and the tests both build it from here.</summary>
public static class BroadcastServer
{
    /// <summary>The original server listened on port 8000; so does this one unless told otherwise.</summary>
    public const string DefaultUrl = "http://localhost:8000";

    /// <summary>
    /// Exit code of a node that had to stop because of a fault (EX_SOFTWARE in sysexits.h): a background
    /// service failed, or the host could not start or stop. Non-zero, so a supervisor that restarts on
    /// failure restarts it; 0 is kept for a requested stop (SIGTERM, Ctrl+C) and 78 for bad configuration.
    /// </summary>
    public const int FaultExitCode = 70;

    /// <summary>
    /// Runs the server until it stops and returns the process's exit code: 0 when it was asked to stop,
    /// <see cref="FaultExitCode"/> when a fault stopped it. Configuration errors are left to the caller (exit 78).
    /// </summary>
    public static async Task<int> RunAsync(WebApplication app)
    {
        // What app.RunAsync() does, with the services kept until the exit code is known.
        await using (app)
        {
            try
            {
                await app.StartAsync();
                await app.WaitForShutdownAsync();
            }
            catch (Exception ex) when (StartupErrors.Describe(ex) is null)
            {
                ServerLog.StoppedByFault(app.Logger, ex.GetType().Name, ex);
                return FaultExitCode;
            }

            // A background service that threw stopped the host (BackgroundServiceExceptionBehavior.StopHost), and the
            // host stops as after a requested stop: only the service's own task tells the two apart.
            var failed = app.Services.GetServices<IHostedService>().OfType<BackgroundService>().FirstOrDefault(service => service.ExecuteTask is { IsFaulted: true });
            if (failed is not null)
            {
                ServerLog.StoppedByBackgroundFault(app.Logger, failed.GetType().Name, failed.ExecuteTask!.Exception!.GetBaseException());
                return FaultExitCode;
            }

            return 0;
        }
    }

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

        // Each room registers its own services and binds its own settings; the order does not matter.
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddBroadcastTelemetry();
        builder.Services.AddTransport();
        builder.Services.AddSecurity();
        builder.Services.AddEngineContract();
        builder.Services.AddMemoryEngine();
        builder.Services.AddRedisEngine();
        AddChosenEngine(builder.Services);
        builder.Services.AddChannels();
        builder.Services.AddClientConnections();
        builder.Services.AddProtocol();
        builder.Services.AddBackend();
        builder.Services.AddHttpEndpoints();
        builder.Services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>()
            .Configure<IOptions<LimitsOptions>, ConnectionLimiter, AddressSocketLimiter>((kestrel, limits, limiter, sockets) =>
            {
                kestrel.ConfigureEndpointDefaults(listen =>
                {
                    // Every endpoint counts its sockets per address from the first byte, before any request is read.
                    // (With the Connection stack, the server's own listener counts the sockets it serves itself.)
                    listen.Use(sockets.Wrap);
                });
                // Both: a client that sends nothing at all waits on Kestrel's keep-alive timeout (130 s by
                // default), not on the request-headers one; neither may hold a connection past the deadline.
                kestrel.Limits.RequestHeadersTimeout = limits.Value.HandshakeTimeout;
                kestrel.Limits.KeepAliveTimeout = limits.Value.HandshakeTimeout;
                kestrel.Limits.MaxConcurrentConnections = limiter.TransportLimit;
            });
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<ConnectionOptions>, IOptions<TransportOptions>>((host, connections, transport) =>
        {
            // Give the drain its full time (publishes in flight first, at most half of it, then the clients'
            // queues), plus the close handshake, before the host gives up.
            host.ShutdownTimeout = (connections.Value.ShutdownTimeout * 1.5) + transport.Value.CloseTimeout + TimeSpan.FromSeconds(2);
            // The node's own background work never throws (BackgroundRetry retries it), so an exception that
            // still escapes a background service is a fault nothing here can recover from: stop the node, and
            // RunAsync makes the exit code say so, for the supervisor to restart it. (Ignore would leave a
            // node running without that service, looking healthy.)
            host.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost;
        });

        configure?.Invoke(builder);
        LoggingSetup.Validate(builder.Configuration);
        ConfigurationKeys.Validate(builder.Configuration);

        var app = builder.Build();
        ConfigurationKeys.ValidateAll(app.Services);
        // Created eagerly so it hooks ApplicationStopping before the host can stop.
        app.Services.GetRequiredService<ShutdownDrain>();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (app.Services.GetRequiredService<OriginPolicy>().AllowsAll)
            {
                ConnectionLog.AnyOriginAllowed(app.Logger);
            }

            // Connect to Redis right away (in the background) so a wrong address shows in the log at start.
            if (app.Services.GetRequiredService<IStreamEngine>() is RedisEngine redis)
            {
                _ = redis.StartAsync();
            }
        });

        app.UseTrustedForwardedHeaders();
        app.UseWebSockets();
        app.UseBroadcastWebSocket();
        app.UseJsonErrorBodies();
        app.UseCors();
        app.UseRateLimiter();
        app.UseWebApp();
        app.MapApiDocumentation();
        app.MapStatusEndpoints();
        app.MapReadiness();
        app.MapWebSocketDocumentation();
        app.MapChannelApi();
        app.MapConnectCheck();
        app.MapStreaming();
        app.MapMetrics();
        app.MapAdmin();
        return app;
    }

    /// <summary>
    /// One setting (<c>Broadcast:Engine</c>) swaps the engine; only the chosen one is ever created, and it
    /// serves every part of the contract (stream and routing, presence, the node directory, session owners).
    /// </summary>
    private static void AddChosenEngine(IServiceCollection services)
    {
        static bool IsRedis(IServiceProvider services) => services.GetRequiredService<IOptions<EngineOptions>>().Value.Engine == EngineKind.Redis;
        services.AddSingleton<IStreamEngine>(sp => IsRedis(sp) ? sp.GetRequiredService<RedisEngine>() : sp.GetRequiredService<MemoryEngine>());
        services.AddSingleton<IPresenceEngine>(sp => IsRedis(sp) ? sp.GetRequiredService<RedisEngine>() : sp.GetRequiredService<MemoryEngine>());
        services.AddSingleton<INodeDirectory>(sp => IsRedis(sp) ? sp.GetRequiredService<RedisEngine>() : sp.GetRequiredService<MemoryEngine>());
        services.AddSingleton<ISessionOwners>(sp => IsRedis(sp) ? sp.GetRequiredService<RedisEngine>() : sp.GetRequiredService<MemorySessionOwners>());
        services.AddSingleton<IDeliveryQueueFactory>(sp => IsRedis(sp) ? sp.GetRequiredService<RedisEngine>() : sp.GetRequiredService<MemoryDeliveryQueueFactory>());
    }
}
