using System.Threading.Channels;

namespace Broadcast.Client;

/// <summary>
/// A subscription to one channel. It survives reconnects: the client resubscribes from the last
/// position it delivered, so <see cref="Publications"/> continues without loss or duplicates.
/// </summary>
/// <remarks>
/// The publication queue is unbounded on purpose: the receive loop must never wait on a slow reader,
/// since that would also hold up acknowledgements and replies to every other request on the connection.
/// The server already bounds what a connection may have in flight (a client that falls far behind is
/// disconnected and then resumes from its position), so the queue grows only as far as the application
/// lags behind. An application that does not read a subscription should unsubscribe it.
/// </remarks>
public sealed class Subscription
{
    private readonly BroadcastClient _client;
    private readonly Channel<Publication> _publications = System.Threading.Channels.Channel.CreateUnbounded<Publication>();

    internal Subscription(BroadcastClient client, string channel, bool presence, bool madeByServer = false)
    {
        _client = client;
        Channel = channel;
        Presence = presence;
        MadeByServer = madeByServer;
    }

    /// <summary>The channel.</summary>
    public string Channel { get; }

    /// <summary>Whether <see cref="PresenceChanged"/> is raised for this channel.</summary>
    public bool Presence { get; }

    /// <summary>
    /// The server made it by itself (a token's <c>channels</c> claim, the connect proxy, the user channel): see
    /// <see cref="BroadcastClient.ServerSubscribed"/>. The server makes it again on every connection; after a
    /// reconnect the client resumes it from its last position when the server's fresh one starts past it.
    /// </summary>
    public bool MadeByServer { get; }

    /// <summary>A server-made subscription being resumed: what its fresh one delivers meanwhile comes again in the replay.</summary>
    internal bool Resuming { get; set; }

    /// <summary>
    /// Publications of others, in offset order, each exactly once. Completes when the subscription ends
    /// (unsubscribed or the client disposed), with a <see cref="BroadcastException"/> if the server refused it.
    /// </summary>
    public ChannelReader<Publication> Publications => _publications.Reader;

    /// <summary>The epoch of the last position the client has accounted for (null until subscribed).</summary>
    public string? Epoch => _client.PositionOf(this).Epoch;

    /// <summary>The last offset the client has accounted for: delivered, or one of its own acknowledged publications.</summary>
    public long Offset => _client.PositionOf(this).Offset;

    internal StreamPosition Position { get; } = new();

    /// <summary>Completed by the first <c>subscribed</c> reply.</summary>
    internal TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Someone else joined or left the channel (only with <see cref="Presence"/>). Runs on the receive loop.</summary>
    public event EventHandler<PresenceChange>? PresenceChanged;

    /// <summary>The publications as an async stream.</summary>
    public IAsyncEnumerable<Publication> ReadAllAsync(CancellationToken cancellationToken = default) =>
        _publications.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Ends the subscription; same as <see cref="BroadcastClient.UnsubscribeAsync"/>.</summary>
    public Task UnsubscribeAsync(CancellationToken cancellationToken = default) => _client.UnsubscribeAsync(Channel, cancellationToken);

    internal void Deliver(Publication publication) => _publications.Writer.TryWrite(publication);

    internal void Complete(Exception? error = null) => _publications.Writer.TryComplete(error);

    internal void RaisePresenceChanged(PresenceChange change) => EventRaiser.Raise(PresenceChanged, this, change);
}
