using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Broadcast.Testing;

/// <summary>
/// A real HTTP server (Kestrel on 127.0.0.1, a free port) standing in for the application's backend: a JWKS
/// endpoint, a proxy target, a webhook receiver. Records every request; what it answers is set by
/// <see cref="Handler"/>, which a test may swap at any time. <see cref="StopAsync"/> takes it down (connection
/// refused), <see cref="StartAgainAsync"/> brings it back on the same port.
/// </summary>
public sealed class TestBackend : IAsyncDisposable
{
    private readonly ConcurrentQueue<BackendRequest> _requests = new();
    private WebApplication? _app;

    private TestBackend(Func<HttpContext, BackendRequest, Task> handler)
    {
        Handler = handler;
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Answers each request (after it was recorded). Swappable while the backend runs.</summary>
    public Func<HttpContext, BackendRequest, Task> Handler { get; set; }

    public IReadOnlyList<BackendRequest> Requests => [.. _requests];

    public Uri Url(string path) => new(BaseAddress, path);

    public int CountRequests(string path) => _requests.Count(r => r.Path == path);

    public static async Task<TestBackend> StartAsync(Func<HttpContext, BackendRequest, Task> handler)
    {
        var backend = new TestBackend(handler);
        await backend.StartOnAsync(0);
        return backend;
    }

    /// <summary>Answers with <paramref name="json"/> (status 200).</summary>
    public static Func<HttpContext, BackendRequest, Task> Json(string json) => (context, _) => WriteJsonAsync(context, json);

    public static Task WriteJsonAsync(HttpContext context, string json, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json);
    }

    /// <summary>Takes the backend down: its port refuses connections until <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public Task StartAgainAsync() => StartOnAsync(BaseAddress.Port);

    private async Task StartOnAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var request = new BackendRequest(context.Request.Method, context.Request.Path.Value ?? "", headers, body, DateTimeOffset.UtcNow);
            _requests.Enqueue(request);
            await Handler(context, request);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        BaseAddress = new Uri(address + "/");
        _app = app;
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
