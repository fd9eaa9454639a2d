using Broadcast.Server;
using Broadcast.Server.Connections;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Broadcast.Testing;

/// <summary>The real server (Kestrel) on 127.0.0.1 with a free port, in this process.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(WebApplication app, Uri baseAddress)
    {
        App = app;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public Uri WebSocketUri => new($"ws://{BaseAddress.Authority}/ws/events");

    public ConnectionRegistry Registry => App.Services.GetRequiredService<ConnectionRegistry>();

    /// <summary>
    /// Settings that undo the test default of open anonymous access (<c>*</c>): the server's own defaults, read
    /// from <see cref="Broadcast.Server.Security.AuthOptions"/>. Merge them into the settings of a test about
    /// anonymous permissions.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> DefaultAnonymousAccess { get; } = new Dictionary<string, string?>
    {
        ["Broadcast:Auth:AnonymousSubscribe"] = new Broadcast.Server.Security.AuthOptions().AnonymousSubscribe,
        ["Broadcast:Auth:AnonymousPublish"] = new Broadcast.Server.Security.AuthOptions().AnonymousPublish,
    };

    /// <summary>
    /// Settings that undo the test default of unlimited publishing and requests: the server's own defaults for
    /// every budget <see cref="StartAsync"/> turns off, read from <see cref="Broadcast.Server.Security.LimitsOptions"/>.
    /// Merge them into the settings of a test about the shipped defaults.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> ShippedBudgets { get; } = ShippedBudgetSettings();

    private static Dictionary<string, string?> ShippedBudgetSettings()
    {
        var defaults = new Broadcast.Server.Security.LimitsOptions();
        static string Text(double value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new Dictionary<string, string?>
        {
            ["Broadcast:Limits:PublishRatePerSecond"] = Text(defaults.PublishRatePerSecond),
            ["Broadcast:Limits:RequestRatePerSecond"] = Text(defaults.RequestRatePerSecond),
        };
    }

    /// <summary>
    /// Starts a server. Unlike the shipped defaults, anonymous clients may use every channel (<c>*</c>), since
    /// most tests are not about permissions; <paramref name="settings"/> override that and anything else.
    /// </summary>
    public static async Task<RunningServer> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null)
    {
        var app = BroadcastServer.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            // Quiet by default (appsettings.json would otherwise log every connection at Information).
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                // Most tests publish and request as fast as they can; the rate-limit tests turn the limits
                // back on (ShippedBudgets restores every one of them).
                // (PublishRatePerSecond = 0 turns every publish budget off.)
                ["Broadcast:Limits:PublishRatePerSecond"] = "0",
                ["Broadcast:Limits:RequestRatePerSecond"] = "0",
                // Most tests use channels other than the default one without a token. The server's own
                // default opens only "events" to anonymous clients; tests about that pass DefaultAnonymousAccess.
                ["Broadcast:Auth:AnonymousSubscribe"] = "*",
                ["Broadcast:Auth:AnonymousPublish"] = "*",
            });
            builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
            configure?.Invoke(builder);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new RunningServer(app, new Uri(address));
    }

    public async Task<TestClient> ConnectAsync() => await TestClient.ConnectAsync(WebSocketUri);

    /// <summary>Waits until the server counts exactly <paramref name="expected"/> connections.</summary>
    public Task WaitForConnectionCountAsync(int expected, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(() => Registry.Count == expected, timeout ?? TimeSpan.FromSeconds(20), $"connection count to reach {expected}");

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await App.StopAsync(stop.Token);
        await App.DisposeAsync();
    }
}
