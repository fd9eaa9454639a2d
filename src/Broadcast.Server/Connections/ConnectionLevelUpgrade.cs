using System.Net;
using System.Net.Sockets;
using System.Text;
using Broadcast.Server.Security;
using Broadcast.Server.Transport;
using Broadcast.Server.Transport.RawWebSockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Connections;

/// <summary>
/// Kestrel connection middleware for <c>Broadcast:WebSocketStack</c> = <c>Connection</c>: reads a
/// connection's first request itself and, when it is a WebSocket upgrade of <c>/ws/events</c>, admits and
/// authenticates it with the same checks, statuses and bodies as <see cref="WebSocketEndpoint"/>, answers 101
/// and runs the session on a <see cref="RawWebSocketConnection"/> that owns the socket. Every other request
/// (plain HTTP, HTTP/2, TLS, anything unusual) is left unread for Kestrel's HTTP pipeline on the same port.
/// </summary>
internal sealed class ConnectionLevelUpgrade(
    UpgradeAdmission admission,
    UpgradeAuthenticator authenticator,
    ClientDialects dialects,
    RawWebSocketTransport transport,
    SessionRunner runner,
    TrustedProxies trustedProxies,
    IServiceProvider services,
    IOptions<LimitsOptions> limits,
    IOptions<Microsoft.AspNetCore.HostFiltering.HostFilteringOptions> hostFiltering,
    ILogger<ConnectionLevelUpgrade> logger)
{
    private readonly string[] _allowedHosts = [.. hostFiltering.Value.AllowedHosts ?? []];

    private readonly TimeSpan _handshakeTimeout = limits.Value.HandshakeTimeout;

    /// <summary>The middleware, for <c>ListenOptions.Use</c>.</summary>
    public ConnectionDelegate Wrap(ConnectionDelegate next) => connection => HandleAsync(connection, next);

    private async Task HandleAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is not { } socket)
        {
            // Not a socket Kestrel owns (a test host, a named pipe): Kestrel's path serves it.
            await next(connection);
            return;
        }

        var remoteAddress = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (trustedProxies.Contains(remoteAddress))
        {
            // A known reverse proxy: the client's address and host are in its forwarded headers, which only
            // Kestrel's pipeline (the forwarded-headers middleware) reads; limits and origin checks need them.
            await next(connection);
            return;
        }

        // Only what the session needs outlives the handshake: the request, its headers and the context the
        // checks read are dropped before the connection settles in (they were kilobytes per idle client).
        var accepted = await HandshakeAsync(connection, socket, remoteAddress, next);
        if (accepted is not { } session)
        {
            return;
        }

        try
        {
            await runner.RunAsync(session.Client, session.Dialect, session.Auth);
        }
        finally
        {
            admission.Release(remoteAddress);
        }
    }

    /// <summary>
    /// Reads and answers the handshake: the accepted connection (admitted: its place is released by the
    /// caller), or null when it was refused, handed on to Kestrel, or never completed.
    /// </summary>
    private async Task<(IClientConnection Client, IClientDialect Dialect, UpgradeAuthentication Auth)?> HandshakeAsync(ConnectionContext connection, Socket socket, IPAddress? remoteAddress, ConnectionDelegate next)
    {
        UpgradeRequest? request;
        try
        {
            using var timeout = new CancellationTokenSource(_handshakeTimeout);
            request = await UpgradeRequestReader.ReadAsync(connection.Transport.Input, WebSocketEndpointSetup.Path, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // The head did not arrive within Broadcast:Limits:HandshakeTimeout: closed, as Kestrel does.
            return null;
        }

        if (request is null || !PassesHostFiltering(request))
        {
            await next(connection);
            return null;
        }

        // The path only: the query may carry a token (access_token), which is never logged.
        ConnectionLog.UpgradeRead(logger, connection.ConnectionId, request.Path);
        var context = RequestContext(connection, request, remoteAddress, out var body);
        if (!await admission.TryAdmitAsync(context, remoteAddress))
        {
            await RefuseAsync(connection, socket, request, context, body, next);
            return null;
        }

        // Before the upgrade, so a client without a valid token gets a plain 401 and no WebSocket.
        var auth = await authenticator.AuthenticateAsync(context);
        if (auth.IsRefused)
        {
            // Its place is freed before the answer: the connection may go on to Kestrel for more requests.
            admission.Release(remoteAddress);
            await UpgradeAuthenticator.RefuseAsync(context, auth);
            await RefuseAsync(connection, socket, request, context, body, next);
            return null;
        }

        try
        {
            var dialect = dialects.Choose(request.Subprotocols);
            var client = await transport.AcceptAsync(connection, socket, request, runner.NextId(), remoteAddress, dialect.Subprotocol, runner.MessageLimits);
            return (client, dialect, auth);
        }
        catch
        {
            admission.Release(remoteAddress);
            throw;
        }
    }

    /// <summary>
    /// ASP.NET Core's top-level <c>AllowedHosts</c> (host filtering middleware) filters every request on
    /// Kestrel's path; an upgrade by a name it would refuse goes there, to get its 400.
    /// </summary>
    private bool PassesHostFiltering(UpgradeRequest request)
    {
        if (_allowedHosts.Length == 0 || _allowedHosts.Contains("*"))
        {
            return true;
        }

        var host = HostString.FromUriComponent(request.Header("Host")).Host;
        return _allowedHosts.Any(allowed => allowed.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(allowed[1..], StringComparison.OrdinalIgnoreCase)
            : string.Equals(host, allowed, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The request as the upgrade checks read it: headers, target, the client's address; a response that collects the refusal.</summary>
    private HttpContext RequestContext(ConnectionContext connection, UpgradeRequest request, IPAddress? remoteAddress, out MemoryStream body)
    {
        var headers = new HeaderDictionary();
        foreach (var (name, values) in request.Headers)
        {
            headers[name] = values;
        }

        body = new MemoryStream();
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(new HttpRequestFeature
        {
            Protocol = "HTTP/1.1",
            Scheme = "http",
            Method = HttpMethods.Get,
            Path = request.Path,
            QueryString = request.Query,
            RawTarget = request.RawTarget,
            Headers = headers,
        });
        features.Set<IHttpResponseFeature>(new HttpResponseFeature());
        features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(body));
        features.Set<IHttpConnectionFeature>(new HttpConnectionFeature
        {
            ConnectionId = connection.ConnectionId,
            RemoteIpAddress = remoteAddress,
            RemotePort = (connection.RemoteEndPoint as IPEndPoint)?.Port ?? 0,
            LocalIpAddress = (connection.LocalEndPoint as IPEndPoint)?.Address,
            LocalPort = (connection.LocalEndPoint as IPEndPoint)?.Port ?? 0,
        });
        features.Set<IServiceProvidersFeature>(new ServiceProvidersFeature { RequestServices = services });
        return new DefaultHttpContext(features);
    }

    /// <summary>
    /// Sends the refusal the checks wrote, as Kestrel would have. A refusal that keeps the connection (403,
    /// 401) hands it to Kestrel's HTTP pipeline for any further request; one that says <c>Connection: close</c> closes it.
    /// </summary>
    private static async Task RefuseAsync(ConnectionContext connection, Socket socket, UpgradeRequest request, HttpContext context, MemoryStream body, ConnectionDelegate next)
    {
        var response = context.Response;
        var head = new StringBuilder()
            .Append("HTTP/1.1 ").Append(response.StatusCode).Append(' ').Append(ReasonPhrases.GetReasonPhrase(response.StatusCode)).Append("\r\n")
            .Append("Content-Length: ").Append(body.Length).Append("\r\n")
            .Append("Date: ").Append(DateTimeOffset.UtcNow.ToString("r", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("Server: Kestrel\r\n");
        foreach (var (name, values) in response.Headers)
        {
            foreach (var value in values)
            {
                head.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }

        head.Append("\r\n");
        var input = connection.Transport.Input;
        var read = await input.ReadAsync();
        input.AdvanceTo(read.Buffer.GetPosition(request.Length));
        await RawWebSocketTransport.SendAsync(socket, Encoding.Latin1.GetBytes(head.ToString()).Concat(body.ToArray()).ToArray());
        if (!string.Equals(response.Headers.Connection, "close", StringComparison.OrdinalIgnoreCase))
        {
            await next(connection);
        }
    }
}
