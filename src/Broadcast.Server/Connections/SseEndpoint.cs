using System.Text.Json;
using Broadcast.Server.Transport;
using Broadcast.Server.Transport.ServerSentEvents;

namespace Broadcast.Server.Connections;

/// <summary>
/// Server-Sent Events for receive-only clients (a browser's <c>EventSource</c>, no client library):
/// <c>GET /sse?channel=a&amp;channel=b</c>, admitted and authenticated like an upgrade, becomes a
/// <c>broadcast.v2</c> session whose requests are made up from the URL (<c>hello</c>, then a
/// <c>subscribe</c> per channel, from the position <c>Last-Event-ID</c> or <c>since</c> names), and whose frames
/// are written as events. A browser that reconnects sends the last event's id by itself, so it resumes every
/// channel without loss.
/// </summary>
internal sealed class SseEndpoint(
    UpgradeAdmission admission,
    UpgradeAuthenticator authenticator,
    ClientDialects dialects,
    SseTransport transport,
    SessionRunner runner)
{
    public const string Path = "/sse";
    public const string LastEventIdHeader = "Last-Event-ID";

    public async Task OpenAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var channels = query["channel"].Where(c => !string.IsNullOrEmpty(c)).Select(c => c!).Distinct(StringComparer.Ordinal).ToList();
        if (channels.Count == 0)
        {
            await RefuseAsync(context, "channel_required", "Name at least one channel: /sse?channel=room (repeat channel for more).");
            return;
        }

        // The browser's own Last-Event-ID (sent on every reconnect) is newer than the URL's since.
        var lastEventId = context.Request.Headers[LastEventIdHeader].ToString();
        if (!SseEventId.TryParse(string.IsNullOrEmpty(lastEventId) ? query["since"].ToString() : lastEventId, out var positions))
        {
            await RefuseAsync(context, "since_invalid", "since (or Last-Event-ID) must be channel=epoch:offset, comma-separated, as the events' ids are.");
            return;
        }

        var remoteAddress = context.Connection.RemoteIpAddress;
        if (!await admission.TryAdmitAsync(context, remoteAddress))
        {
            return;
        }

        try
        {
            var auth = await authenticator.AuthenticateAsync(context, HttpStreamEndpoint.Offered, TransportNames.ServerSentEvents);
            if (auth.IsRefused)
            {
                await UpgradeAuthenticator.RefuseAsync(context, auth);
                return;
            }

            var resumed = positions.Where(p => channels.Contains(p.Channel)).ToList();
            var connection = await transport.StartAsync(context, runner.NextId(), remoteAddress, resumed);
            try
            {
                var running = runner.RunAsync(connection, dialects.Choose(HttpStreamEndpoint.Offered), auth);
                await AskAsync(connection, channels, resumed, query["name"].ToString(), query["presence"] == "true", context.RequestAborted);
                await running;
            }
            finally
            {
                transport.Forget(connection);
            }
        }
        finally
        {
            admission.Release(remoteAddress);
        }
    }

    /// <summary>The requests the URL stands for: <c>hello</c>, then one <c>subscribe</c> per channel (id = the channel).</summary>
    private static async Task AskAsync(SseConnection connection, List<string> channels, List<SsePosition> resumed, string name, bool presence, CancellationToken cancellationToken)
    {
        try
        {
            await connection.TryDeliverAsync(HttpStreamEndpoint.ServerFrame(writer =>
            {
                writer.WriteString("type"u8, "hello"u8);
                if (!string.IsNullOrEmpty(name))
                {
                    writer.WriteString("name"u8, name);
                }
            }), cancellationToken);
            foreach (var channel in channels)
            {
                var since = resumed.FirstOrDefault(p => p.Channel == channel);
                await connection.TryDeliverAsync(HttpStreamEndpoint.ServerFrame(writer =>
                {
                    writer.WriteString("type"u8, "subscribe"u8);
                    writer.WriteString("id"u8, channel);
                    writer.WriteString("channel"u8, channel);
                    if (since.Channel is not null)
                    {
                        writer.WriteStartObject("since"u8);
                        writer.WriteString("epoch"u8, since.Epoch);
                        writer.WriteNumber("offset"u8, since.Offset);
                        writer.WriteEndObject();
                    }

                    if (presence)
                    {
                        writer.WriteBoolean("presence"u8, true);
                    }
                }), cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away before its requests were read.
        }
        finally
        {
            connection.NoMoreRequests();
        }
    }

    private static Task RefuseAsync(HttpContext context, string code, string error)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return context.Response.WriteAsJsonAsync(new { error, code });
    }
}
