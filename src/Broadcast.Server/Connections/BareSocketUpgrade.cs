using System.Net;
using System.Text;
using Broadcast.Server.Security;
using Broadcast.Server.Transport;
using Broadcast.Server.Transport.RawWebSockets;
using Broadcast.Server.Transport.Sockets;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Connections;

/// <summary>
/// The connection layer's side of <c>Broadcast:WebSocketStack</c> = <c>Connection</c> (the server's own
/// listener, <see cref="BareSocketListener"/>): which accepted sockets are looked at, and the upgrade of
/// <c>/ws/events</c> served on the bare socket with the same checks, statuses and bodies as
/// <see cref="WebSocketEndpoint"/>: admission, authentication, a 101 and the session on a
/// <see cref="RawWebSocketConnection"/>. Every other request (plain HTTP, HTTP/2, TLS, anything unusual) goes
/// to Kestrel's HTTP pipeline on the same port, untouched.
/// </summary>
internal sealed class BareSocketUpgrade(
    UpgradeAdmission admission,
    UpgradeAuthenticator authenticator,
    ClientDialects dialects,
    RawWebSocketTransport transport,
    SessionRunner runner,
    TrustedProxies trustedProxies,
    AddressSocketLimiter sockets,
    ConnectionLimiter connections,
    IServiceProvider services,
    IOptions<LimitsOptions> limits,
    IOptions<ConnectionOptions> connectionOptions,
    IOptions<TransportOptions> transportOptions,
    IOptions<Microsoft.AspNetCore.HostFiltering.HostFilteringOptions> hostFiltering,
    ILogger<BareSocketUpgrade> logger) : IBareSocketHandler
{
    private readonly string[] _allowedHosts = [.. hostFiltering.Value.AllowedHosts ?? []];

    // Sockets held by the listener (being looked at, or serving a WebSocket): Kestrel's MaxConcurrentConnections
    // counts only its own, so the same bound is kept here for these.
    private int _held;

    private HashSet<int>? _tlsPorts;

    public string Path => WebSocketEndpointSetup.Path;

    public TimeSpan HandshakeTimeout { get; } = limits.Value.HandshakeTimeout;

    /// <summary>The drain's whole time (publishes in flight, then the clients' queues) and the close handshake.</summary>
    public TimeSpan ShutdownWait { get; } = (connectionOptions.Value.ShutdownTimeout * 1.5) + transportOptions.Value.CloseTimeout;

    public SocketAdmission Admit(IPAddress? remote, int localPort)
    {
        if (trustedProxies.Contains(remote) || TlsPorts().Contains(localPort))
        {
            // A known reverse proxy: the client's address and host are in its forwarded headers, which only
            // Kestrel's pipeline (the forwarded-headers middleware) reads; limits and origin checks need them.
            // An HTTPS endpoint: only Kestrel's TLS comes first there (a plain-text upgrade must not be served on it).
            return SocketAdmission.HandOff;
        }

        if (Interlocked.Increment(ref _held) > connections.TransportLimit)
        {
            Interlocked.Decrement(ref _held);
            return SocketAdmission.Close;
        }

        if (!sockets.TryOpen(remote))
        {
            Interlocked.Decrement(ref _held);
            return SocketAdmission.Close;
        }

        return SocketAdmission.Inspect;
    }

    /// <summary>
    /// The ports of the server's HTTPS endpoints, read once the server listens (a listener knows only its
    /// address, not that Kestrel puts TLS on it): every connection to them is Kestrel's.
    /// </summary>
    private HashSet<int> TlsPorts()
    {
        if (Volatile.Read(ref _tlsPorts) is { } known)
        {
            return known;
        }

        var addresses = services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>()?.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses;
        if (addresses is null || addresses.Count == 0)
        {
            // Not listening yet (a connection cannot come before), or a host without addresses: nothing is HTTPS.
            return [];
        }

        var ports = addresses
            .Select(BindingAddress.Parse)
            .Where(address => address.Scheme == Uri.UriSchemeHttps)
            .Select(address => address.Port)
            .ToHashSet();
        if (services.GetService<IHostApplicationLifetime>()?.ApplicationStarted.IsCancellationRequested == true)
        {
            // Kept only once every endpoint is bound: while Kestrel binds, the list is still being filled.
            Volatile.Write(ref _tlsPorts, ports);
        }

        return ports;
    }

    public void Leave(IPAddress? remote, bool sessionRan)
    {
        if (sessionRan)
        {
            admission.Release(remote);
        }

        sockets.Close(remote);
        Interlocked.Decrement(ref _held);
    }

    public async Task<BareUpgradeOutcome> UpgradeAsync(BareSocket socket, UpgradeRequest request)
    {
        if (!PassesHostFiltering(request))
        {
            // Nothing consumed: Kestrel's host filtering answers it (400).
            return new(null, HandOff: true);
        }

        var remoteAddress = socket.RemoteEndPoint?.Address;
        var (accepted, keepAlive) = await HandshakeAsync(socket, request, remoteAddress);
        if (accepted is not { } session)
        {
            return new(null, keepAlive);
        }

        // Admitted: its place is released by Leave once the session has ended. Only what the session needs
        // outlives this method: the request, its headers and the context the checks read are garbage now.
        return new(runner.RunAsync(session.Client, session.Dialect, session.Auth), HandOff: false);
    }

    /// <summary>
    /// Answers the handshake: the accepted connection (admitted: its place is released by the caller), or
    /// null when it was refused (and whether the refusal keeps the connection for Kestrel).
    /// </summary>
    private async Task<((IClientConnection Client, IClientDialect Dialect, UpgradeAuthentication Auth)? Accepted, bool KeepAlive)> HandshakeAsync(BareSocket socket, UpgradeRequest request, IPAddress? remoteAddress)
    {
        // The path only: the query may carry a token (access_token), which is never logged.
        ConnectionLog.UpgradeRead(logger, socket.Id, request.Path);
        var context = RequestContext(socket, request, remoteAddress, out var body);
        if (!await admission.TryAdmitAsync(context, remoteAddress))
        {
            return (null, await RefuseAsync(socket, request, context, body));
        }

        // Before the upgrade, so a client without a valid token gets a plain 401 and no WebSocket.
        var auth = await authenticator.AuthenticateAsync(context);
        if (auth.IsRefused)
        {
            // Its place is freed before the answer: the connection may go on to Kestrel for more requests.
            admission.Release(remoteAddress);
            await UpgradeAuthenticator.RefuseAsync(context, auth);
            return (null, await RefuseAsync(socket, request, context, body));
        }

        try
        {
            var dialect = dialects.Choose(request.Subprotocols);
            var client = await transport.AcceptAsync(socket, request, runner.NextId(), remoteAddress, dialect.Subprotocol, runner.MessageLimits);
            return ((client, dialect, auth), false);
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
    private HttpContext RequestContext(BareSocket socket, UpgradeRequest request, IPAddress? remoteAddress, out MemoryStream body)
    {
        // The parsed headers themselves (case-insensitive, as HeaderDictionary needs), not a copy: the checks only read them.
        var headers = new HeaderDictionary(request.Headers);

        body = new MemoryStream();

        // Room for the six features set here and the few the checks add, without growing.
        var features = new FeatureCollection(8);
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
            ConnectionId = socket.Id,
            RemoteIpAddress = remoteAddress,
            RemotePort = socket.RemoteEndPoint?.Port ?? 0,
            LocalIpAddress = socket.LocalEndPoint?.Address,
            LocalPort = socket.LocalEndPoint?.Port ?? 0,
        });
        features.Set<IServiceProvidersFeature>(new ServiceProvidersFeature { RequestServices = services });
        return new DefaultHttpContext(features);
    }

    /// <summary>
    /// Consumes the request and sends the refusal the checks wrote, as Kestrel would have. True when the
    /// refusal keeps the connection (403, 401: Kestrel's HTTP pipeline serves any further request); false
    /// when it says <c>Connection: close</c>.
    /// </summary>
    private static async Task<bool> RefuseAsync(BareSocket socket, UpgradeRequest request, HttpContext context, MemoryStream body)
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
        await socket.DiscardAsync((int)request.Length);
        await socket.SendAsync(Encoding.Latin1.GetBytes(head.ToString()).Concat(body.ToArray()).ToArray());
        return !string.Equals(response.Headers.Connection, "close", StringComparison.OrdinalIgnoreCase);
    }
}
