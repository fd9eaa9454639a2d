using System.Diagnostics;
using System.Net.WebSockets;
using Broadcast.Server.Channels;
using Broadcast.Server.Configuration;
using Broadcast.Server.Diagnostics;
using Broadcast.Server.Protocol;
using Broadcast.Server.Security;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Connections;

/// <summary>
/// Serves <c>/ws/events</c>: accepts the upgrade, registers the connection, runs its receive loop and
/// its writer, and always unregisters it, however the connection ends.
/// </summary>
internal sealed class WebSocketEndpoint(
    ConnectionRegistry registry,
    OriginPolicy origins,
    ConnectionLimiter limiter,
    ClientBudgets budgets,
    ChannelService channels,
    ConnectionAuthenticator authenticator,
    ChannelAuthorizer authorizer,
    ExtendedProtocolHandler extendedProtocol,
    NodeIdentity node,
    ConnectionEvents events,
    ShutdownDrain drain,
    BroadcastMetrics metrics,
    IOptions<BroadcastOptions> options,
    ILogger<WebSocketEndpoint> logger)
{
    /// <summary>The subprotocol a client offers to speak the extended protocol (docs/protocol.md).</summary>
    public const string ExtendedSubprotocol = "broadcast.v2";

    private readonly BroadcastOptions _options = options.Value;

    public async Task HandleAsync(HttpContext context)
    {
        var remoteAddress = context.Connection.RemoteIpAddress;
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new { error = "This endpoint speaks WebSocket only: send an upgrade request.", code = "websocket_required" });
            return;
        }

        if (drain.IsDraining)
        {
            ConnectionLog.Refused(logger, remoteAddress, "shutting down");
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
            return;
        }

        if (!origins.IsAllowed(context.Request))
        {
            ConnectionLog.Refused(logger, remoteAddress, "origin not allowed");
            metrics.MessageRejected("origin_forbidden");
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsJsonAsync(new { error = "This origin may not open a WebSocket to this server.", code = "origin_forbidden" });
            return;
        }

        if (!origins.IsHostAllowed(context.Request))
        {
            ConnectionLog.Refused(logger, remoteAddress, "host not allowed");
            metrics.MessageRejected("host_forbidden");
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsJsonAsync(new { error = "This server is not reached by that host name from a browser (Broadcast:Limits:AllowedHosts).", code = "host_forbidden" });
            return;
        }

        var admission = limiter.TryAdmit(remoteAddress);
        if (admission != ConnectionLimiter.Admission.Admitted)
        {
            var (status, code, text) = admission switch
            {
                ConnectionLimiter.Admission.AddressFull => (StatusCodes.Status429TooManyRequests, "too_many_connections", "Too many connections from this address; retry later."),
                ConnectionLimiter.Admission.TooManyUpgrades => (StatusCodes.Status503ServiceUnavailable, "too_many_upgrades", "Too many clients are connecting at once; retry later."),
                _ => (StatusCodes.Status503ServiceUnavailable, "server_full", "The server is at its connection limit; retry later."),
            };
            ConnectionLog.Refused(logger, remoteAddress, code);
            context.Response.StatusCode = status;
            // Closed after the answer rather than kept alive: near the descriptor limit, every refused
            // client still holding its socket takes a descriptor from the reserve.
            context.Response.Headers.Connection = "close";
            context.Response.Headers.RetryAfter = _options.Limits.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await context.Response.WriteAsJsonAsync(new { error = text, code });
            return;
        }

        try
        {
            await AcceptAsync(context, remoteAddress);
        }
        finally
        {
            limiter.Release(remoteAddress);
        }
    }

    private async Task AcceptAsync(HttpContext context, System.Net.IPAddress? remoteAddress)
    {
        // Before the upgrade, so a client without a valid token gets a plain 401 and no WebSocket.
        var auth = authenticator.Authenticate(context);
        if (auth.RefusalCode is { } refusal)
        {
            await ConnectionAuthenticator.RefuseAsync(context, refusal);
            return;
        }

        // Clients opt in to the extended protocol with its subprotocol; everyone else is a legacy client.
        var isLegacy = !context.WebSockets.WebSocketRequestedProtocols.Contains(ExtendedSubprotocol);
        var (socket, output) = await WebSocketUpgrade.AcceptAsync(
            context,
            isLegacy ? null : ExtendedSubprotocol,
            _options.KeepAliveInterval,
            _options.KeepAliveInterval > TimeSpan.Zero ? _options.KeepAliveTimeout : Timeout.InfiniteTimeSpan);

        var connection = new ClientConnection(registry.NextId(), node.Id, socket, output, remoteAddress, isLegacy, _options.OutboundQueueCapacity, events)
        {
            Budget = budgets.CreateConnectionBudget(remoteAddress),
        };
        authenticator.Attach(connection, auth.Principal);
        metrics.ConnectionOpened(isLegacy);
        ConnectionLog.Opened(logger, connection.Id, remoteAddress);

        var writer = connection.RunWriterAsync();
        var reason = "aborted";
        try
        {
            if (isLegacy && !authorizer.CanSubscribe(connection, ChannelName.Default))
            {
                // Told once, so the client knows why it will never receive anything.
                Reject(connection, ProtocolErrors.Forbidden);
            }
            else if (isLegacy)
            {
                // Legacy clients are on the default channel from the start, without any reply frame.
                var subscribed = await channels.SubscribeAsync(connection, ChannelName.Default, since: null, wantsPresence: false, static (_, _, _) => ReadOnlyMemory<byte>.Empty, CancellationToken.None);
                if (subscribed.Error is { } error)
                {
                    Reject(connection, error);
                }
            }

            // Counted once it is fully set up, so a client seen in /health also receives broadcasts.
            registry.Add(connection);
            if (drain.IsDraining)
            {
                // Shutdown began between the check above and the registration: close this one too.
                connection.RequestClose(drain.CloseRequest);
            }

            reason = await ReceiveLoopAsync(connection);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer vanished, the keep-alive timed out, or the socket was aborted: not an error of ours.
            reason = connection.CloseRequest?.Label ?? "connection_lost";
        }
        catch (Exception ex)
        {
            // A fault of the server, not of the client: this connection alone closes with 1011. The
            // details go to the log only; the close reason stays empty so nothing internal leaks.
            ConnectionLog.ServerFault(logger, ex, connection.Id);
            reason = "server_error";
            connection.RequestClose(new CloseRequest(WebSocketCloseStatus.InternalServerError, "", DrainFirst: false, events.CloseTimeout));
        }
        finally
        {
            registry.Remove(connection);
            await FinishPublishesAsync(connection);
            await channels.UnsubscribeAllAsync(connection);
            connection.RequestClose(new CloseRequest(WebSocketCloseStatus.NormalClosure, "", DrainFirst: false, events.CloseTimeout));
            await writer;
            // No Abort here: the writer has finished, and aborting would reset the TCP connection,
            // which can destroy a close frame (1007, 1002, 1009) the client has not read yet.
            connection.DisposeResources();
            socket.Dispose();
            metrics.ConnectionClosed(isLegacy, reason, (int?)socket.CloseStatus, DateTimeOffset.UtcNow - connection.ConnectedAt);
            ConnectionLog.Closed(logger, connection.Id, reason, (int?)socket.CloseStatus);
        }
    }

    /// <summary>Lets a legacy client's publishes still in flight finish (or fail) before it goes.</summary>
    private async Task FinishPublishesAsync(ClientConnection connection)
    {
        if (connection.Publishes is not { } publishes)
        {
            return;
        }

        try
        {
            await publishes.DrainAsync();
        }
        catch (Exception ex)
        {
            ConnectionLog.ServerFault(logger, ex, connection.Id);
        }
    }

    /// <summary>How long one connection's receive loop may run without waiting before it lets other work run.</summary>
    private static readonly TimeSpan FairnessSlice = TimeSpan.FromMilliseconds(20);

    /// <summary>Reads messages until the client closes. Returns the reason the connection ended.</summary>
    private async Task<string> ReceiveLoopAsync(ClientConnection connection)
    {
        var socket = connection.Socket;
        using var message = new MessageBuffer(_options.MaxMessageBytes);
        var fragments = 0;
        var sliceStart = Stopwatch.GetTimestamp();
        while (true)
        {
            ValueWebSocketReceiveResult result;

            // Set when the zero-byte peek below saw a frame that does not end the message: it consumed that
            // frame if it was empty, or the read after it continues it. Either way the frame counts once.
            var peekedFragment = false;
            if (message.Length == 0)
            {
                // Between messages, wait for data with a zero-byte read, so an idle connection holds no
                // receive buffer: the buffer is rented only once a message starts to arrive. The peek
                // already answers a close, or an empty message (a frame with no payload).
                var peek = socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
                if (!peek.IsCompleted)
                {
                    sliceStart = Stopwatch.GetTimestamp();
                }
                else if (Stopwatch.GetElapsedTime(sliceStart) > FairnessSlice)
                {
                    // A publisher whose messages keep arriving would otherwise run here without ever giving
                    // the thread back, and the flush rounds that deliver its publications would wait behind
                    // it (on one core: nothing delivered for seconds). Let them run, then go on.
                    await Task.Yield();
                    sliceStart = Stopwatch.GetTimestamp();
                }

                result = await peek;
                if (result.MessageType != WebSocketMessageType.Close && !(result.EndOfMessage && result.Count == 0))
                {
                    peekedFragment = !result.EndOfMessage;
                    result = await socket.ReceiveAsync(message.GetFreeSpace(), CancellationToken.None);
                }
            }
            else
            {
                result = await socket.ReceiveAsync(message.GetFreeSpace(), CancellationToken.None);
            }

            metrics.BytesReceived(result.Count);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                // The client answered our close, or started its own: then echo its code, as
                // RFC 6455 asks (the writer sends the reply).
                var serverClose = connection.CloseRequest;
                connection.RequestClose(new CloseRequest(
                    socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure,
                    "",
                    DrainFirst: false,
                    events.CloseTimeout));
                return serverClose?.Label ?? "client_closed";
            }

            message.Advance(result.Count);

            // Frames that did not end the message: the one just read, and the peeked one before it unless the
            // read carried that frame's own payload (bytes right after a peek are taken to be). A message of
            // empty frames only is peeked frame by frame, so without the peeked ones only every other frame
            // would count. Exact for empty fragments, which are what the bound is for; at most one off otherwise.
            var openFragments = result.EndOfMessage ? 0 : 1 + (peekedFragment && result.Count == 0 ? 1 : 0);
            if (openFragments > 0 && (fragments += openFragments) > _options.Limits.MaxFragmentsPerMessage && connection.CloseRequest is null)
            {
                // Empty fragments never reach the byte limit; bound their number instead.
                metrics.MessageRejected("too_many_fragments");
                message.Reset();
                connection.RequestClose(new CloseRequest(
                    WebSocketCloseStatus.PolicyViolation,
                    "too many fragments in one message",
                    DrainFirst: false,
                    events.CloseTimeout));
                continue;
            }

            if (result.EndOfMessage)
            {
                fragments = 0;
            }
            if (connection.CloseRequest is not null)
            {
                // Closing: discard whatever still arrives until the client answers the close.
                message.Reset();
                continue;
            }

            if (message.IsOverLimit)
            {
                ConnectionLog.TooBig(logger, connection.Id, _options.MaxMessageBytes);
                metrics.MessageRejected("message_too_big");
                message.Reset();
                connection.RequestClose(new CloseRequest(
                    WebSocketCloseStatus.MessageTooBig,
                    $"message exceeds {_options.MaxMessageBytes} bytes",
                    DrainFirst: false,
                    events.CloseTimeout));
                continue;
            }

            if (!result.EndOfMessage)
            {
                continue;
            }

            if (result.MessageType == WebSocketMessageType.Binary)
            {
                Reject(connection, ProtocolErrors.BinaryNotSupported);
            }
            else if (connection.IsLegacy)
            {
                await PublishLegacyAsync(connection, message.Written);
            }
            else
            {
                // Parsed before the buffer is reused; handled possibly asynchronously (engine calls).
                var request = ClientRequestParser.Parse(message.Written);
                await extendedProtocol.HandleAsync(connection, request);
            }

            message.Reset();
        }
    }

    private ValueTask PublishLegacyAsync(ClientConnection connection, ReadOnlySpan<byte> frame)
    {
        var inbound = InboundMessageParser.Parse(frame);
        if (inbound.Error is { } error)
        {
            Reject(connection, error);
            return ValueTask.CompletedTask;
        }

        if (!authorizer.CanPublish(connection, ChannelName.Default))
        {
            Reject(connection, ProtocolErrors.Forbidden);
            return ValueTask.CompletedTask;
        }

        if (budgets.TryPublish(connection, ChannelName.Default, inbound.EscapedText.Length) is { IsAllowed: false } refused)
        {
            // A legacy client gets the error frame of the original protocol, {"error", "code": "rate_limited"}.
            Reject(connection, refused.Error!);
            if (refused.CloseConnection)
            {
                connection.CloseForFlooding(ClientBudgets.PublishFloodReason);
            }

            return ValueTask.CompletedTask;
        }

        metrics.MessageReceived();
        return PublishAsync(connection, inbound.EscapedText.ToArray());
    }

    private ValueTask PublishAsync(ClientConnection connection, byte[] escapedMessage)
    {
        var publishing = channels.PublishAsync(ChannelName.Default, connection.Session, messageId: null, escapedMessage, CancellationToken.None);
        if (publishing.IsCompletedSuccessfully)
        {
            // The in-memory engine: published (and fanned out) already.
            return ValueTask.CompletedTask;
        }

        // Waiting on Redis: read the next message meanwhile; the reply to a failure comes when it is known.
        connection.Publishes ??= new PublishPipeline();
        return connection.Publishes.AddAsync(AnswerFailureAsync(connection, publishing));
    }

    private async Task AnswerFailureAsync(ClientConnection connection, ValueTask<PublishResult> publishing)
    {
        try
        {
            await publishing;
        }
        catch (Engines.EngineUnavailableException)
        {
            Reject(connection, ProtocolErrors.EngineUnavailable);
        }
    }

    private void Reject(ClientConnection connection, ProtocolError error)
    {
        metrics.MessageRejected(error.Code);
        ConnectionLog.Rejected(logger, connection.Id, error.Code);
        connection.TryEnqueue(error.Frame);
    }
}
