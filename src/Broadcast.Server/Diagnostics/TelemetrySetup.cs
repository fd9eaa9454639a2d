using System.Diagnostics.Metrics;
using Broadcast.Server.Backend;
using Broadcast.Server.Channels;
using Broadcast.Server.Connections;
using Broadcast.Server.Engines;
using Broadcast.Server.Engines.Memory;
using Broadcast.Server.Security;
using Broadcast.Server.Transport;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Broadcast.Server.Diagnostics;

/// <summary>
/// Metrics for operators: the server's own meter plus ASP.NET Core's and the runtime's built-in meters,
/// collected by OpenTelemetry and served in Prometheus text format at <c>/metrics</c>.
/// </summary>
internal static class TelemetrySetup
{
    /// <summary>
    /// Meters built into .NET 10 and ASP.NET Core 10 (http.server.*, kestrel.*, dotnet.* …). They are read
    /// directly rather than through the OpenTelemetry instrumentation packages, which on .NET 9+ only
    /// forward these same meters.
    /// </summary>
    private static readonly string[] PlatformMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "System.Runtime",
    ];

    public static IServiceCollection AddBroadcastTelemetry(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section).ValidateOnStart();
        services.AddSingleton<BroadcastMetrics>();
        // The observer of every layer it counts: each layer names only its own interface.
        services.AddSingleton<ITransportObserver>(sp => sp.GetRequiredService<BroadcastMetrics>());
        services.AddSingleton<IConnectionObserver>(sp => sp.GetRequiredService<BroadcastMetrics>());
        services.AddSingleton<IChannelObserver>(sp => sp.GetRequiredService<BroadcastMetrics>());
        services.AddSingleton<IEngineObserver>(sp => sp.GetRequiredService<BroadcastMetrics>());
        services.AddSingleton<LimitMetrics>();
        services.AddSingleton<ILimitObserver>(sp => sp.GetRequiredService<LimitMetrics>());
        services.AddSingleton<IMemoryEngineObserver, MemoryEngineMetrics>();
        services.AddSingleton<IBackendObserver, BackendMetrics>();
        services.AddSingleton<FlushMetrics>();
        services.AddSingleton<SlowConsumerLog>();
        services.AddSingleton<NodeHeartbeat>();
        services.AddHostedService(services => services.GetRequiredService<NodeHeartbeat>());
        services.AddBroadcastLogging();
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("broadcast-server", serviceVersion: typeof(TelemetrySetup).Assembly.GetName().Version?.ToString()))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(BroadcastMetrics.MeterName).AddMeter(PlatformMeters).AddPrometheusExporter();
                ((IDeferredMeterProviderBuilder)metrics).Configure((provider, builder) =>
                {
                    builder.AddView(OnlyThisHost(provider.GetRequiredService<IMeterFactory>()));

                    // No other service needs it (the observers above are made by the layers they observe): made with the exporter.
                    provider.GetRequiredService<FlushMetrics>();
                });
            });
        return services;
    }

    /// <summary>
    /// OpenTelemetry subscribes to meters by name, process-wide. Meters that another host's factory created
    /// (several servers in one process: the tests) are dropped, so no server reports another's numbers.
    /// Process-wide meters (System.Runtime, no factory) are kept.
    /// </summary>
    private static Func<Instrument, MetricStreamConfiguration?> OnlyThisHost(IMeterFactory factory) =>
        instrument => instrument.Meter.Scope is IMeterFactory owner && !ReferenceEquals(owner, factory) ? MetricStreamConfiguration.Drop : null;
}
