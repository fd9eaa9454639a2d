using Broadcast.Server.Security;
using Microsoft.AspNetCore.HttpOverrides;

namespace Broadcast.Server.Http;

/// <summary>
/// Behind a reverse proxy: ASP.NET Core's forwarded headers middleware, believing only the proxies of
/// <c>Broadcast:ForwardedHeaders</c>. From one of them, <c>X-Forwarded-For</c> becomes the client's address
/// (per-address limits and budgets, logs), <c>X-Forwarded-Proto</c> the scheme and <c>X-Forwarded-Host</c> the
/// host (the origin and host checks compare a page's origin with what the browser used). A chain of proxies is
/// followed while each hop is a known proxy; the first address that is not one is the client.
/// </summary>
internal static class ForwardedHeadersSetup
{
    /// <summary>First of all: every later step (the upgrade's checks included) sees the client, not the proxy.</summary>
    public static WebApplication UseTrustedForwardedHeaders(this WebApplication app)
    {
        var proxies = app.Services.GetRequiredService<TrustedProxies>();
        if (!proxies.Any)
        {
            // ASP.NET Core would believe loopback by default; here nobody is believed unless configured.
            return app;
        }

        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost,
            ForwardLimit = null,
        };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var address in proxies.Addresses)
        {
            options.KnownProxies.Add(address);
        }

        foreach (var network in proxies.Networks)
        {
            options.KnownIPNetworks.Add(network);
        }

        app.UseForwardedHeaders(options);
        return app;
    }
}
