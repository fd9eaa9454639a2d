using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Transport.Sockets;

/// <summary>
/// Kestrel's transport for TCP endpoints when <c>Broadcast:WebSocketStack</c> = <c>Connection</c> (the
/// default): binds and accepts as Kestrel's socket transport does, with its settings (<see cref="SocketTransportOptions"/>),
/// and gives each endpoint a <see cref="BareSocketListener"/>. Other endpoints (Unix sockets, named pipes)
/// and the <c>Kestrel</c> stack are bound by Kestrel's own transport.
/// </summary>
internal sealed class BareSocketListenerFactory(IOptions<SocketTransportOptions> sockets, IOptions<TransportOptions> transport, IBareSocketHandler handler, ILoggerFactory loggers)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => transport.Value.WebSocketStack == WebSocketStack.Connection && endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var options = sockets.Value;
        Socket listenSocket;
        try
        {
            listenSocket = options.CreateBoundListenSocket(endpoint);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            // What Kestrel's own transport throws, so that Kestrel reports it (and tries the next address) the same way.
            throw new AddressInUseException(ex.Message, ex);
        }

        listenSocket.Listen(options.Backlog);
        var contexts = new SocketConnectionContextFactory(
            new SocketConnectionFactoryOptions
            {
                IOQueueCount = options.IOQueueCount,
                WaitForDataBeforeAllocatingBuffer = options.WaitForDataBeforeAllocatingBuffer,
                MaxReadBufferSize = options.MaxReadBufferSize,
                MaxWriteBufferSize = options.MaxWriteBufferSize,
                UnsafePreferInlineScheduling = options.UnsafePreferInlineScheduling,
            },
            loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));
        return new(new BareSocketListener(listenSocket, contexts, handler, options.NoDelay, loggers.CreateLogger<BareSocketListener>()));
    }
}
