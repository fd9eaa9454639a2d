using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Transport;

/// <summary>
/// How frames reach a client: its queue's bounds, the flush rounds, keep-alive and the close handshake.
/// Root keys of the <c>Broadcast</c> section (<c>Broadcast:OutboundQueueCapacity</c>, …).
/// </summary>
public sealed class TransportOptions
{
    public const string Section = "Broadcast";

    /// <summary>
    /// Frames that may wait for one client before it counts as a slow consumer and is closed with 1008.
    /// Large enough to absorb bursts, small enough that one stuck client cannot hold much memory.
    /// </summary>
    [Range(1, 1_000_000, ErrorMessage = "Broadcast:OutboundQueueCapacity must be between {1} and {2}.")]
    public int OutboundQueueCapacity { get; set; } = 1024;

    /// <summary>
    /// Bytes that may wait for one client, whatever they are: publications, replays, replies, errors and
    /// notices. A publication past it meets its channel's slow-consumer policy; anything else past it closes
    /// the client with 1008, so a client that asks and never reads cannot make the server hold more.
    /// Replays on resume are sent in portions as the client reads, so any history fits through it.
    /// </summary>
    [Range(64 * 1024, 1024 * 1024 * 1024, ErrorMessage = "Broadcast:OutboundQueueBytes must be between {1} and {2}.")]
    public int OutboundQueueBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>How often the server pings an otherwise quiet client. Zero disables keep-alive.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Broadcast:KeepAliveInterval must be between {1} and {2}.")]
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long to wait for the pong before the peer is considered dead and the connection aborted.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Broadcast:KeepAliveTimeout must be between {1} and {2}.")]
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The shortest time between two write rounds. A message after a quiet spell is written at once; under
    /// load, each client's messages that arrive within this time share one write (one system call), which
    /// costs far less per delivery at the price of at most this much added latency. Zero writes as soon as possible.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:00.100", ErrorMessage = "Broadcast:FlushInterval must be between {1} and {2}.")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// How far heavy write rounds may stretch <see cref="FlushInterval"/>: after a round that spent at least half the
    /// interval writing, the next waits twice as long, up to this; light rounds bring it back, and after a quiet spell
    /// (no round for two intervals after the last one ended) a frame goes out at once. Fewer, fuller writes when the
    /// server is busy, at the price of at most this much added latency. Not above <see cref="FlushInterval"/> (the same,
    /// or less): heavy rounds alone never stretch it (sparse writes still may, up to <see cref="FlushIntervalSparseMax"/>;
    /// set that to the same value too and the interval never stretches).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:00.100", ErrorMessage = "Broadcast:FlushIntervalMax must be between {1} and {2}.")]
    public TimeSpan FlushIntervalMax { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// How far heavy write rounds may stretch past <see cref="FlushIntervalMax"/> while their writes are sparse: carry
    /// fewer than two frames each on average (many clients, each getting a message now and then, so nearly every
    /// delivery pays for a whole write). The interval doubles up to this while they stay so, and halves back down to
    /// <see cref="FlushIntervalMax"/> once writes carry more than four frames. Clients that get messages often (a chat)
    /// fill their writes within <see cref="FlushIntervalMax"/> and never wait longer. It also bounds the stretch of a
    /// writer that cannot keep up although its writes carry eight frames or more (rounds back to back): up to four
    /// times <see cref="FlushIntervalMax"/> (8 ms by default), until the writer is mostly idle or its writes carry
    /// fewer than twelve frames. Not above
    /// <see cref="FlushIntervalMax"/> (the same, or less): no further stretching.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:00.100", ErrorMessage = "Broadcast:FlushIntervalSparseMax must be between {1} and {2}.")]
    public TimeSpan FlushIntervalSparseMax { get; set; } = TimeSpan.FromMilliseconds(16);

    /// <summary>How long a close handshake the server started may take before the socket is aborted.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00", ErrorMessage = "Broadcast:CloseTimeout must be between {1} and {2}.")]
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Which transport serves WebSocket upgrades of HTTP/1.1: <c>Connection</c> (the server reads the
    /// upgrade at the connection level, answers 101 and owns the socket: no HTTP request stays alive under a
    /// WebSocket) or <c>Kestrel</c> (the upgrade goes through Kestrel's HTTP pipeline and the runtime's
    /// WebSocket; kept for safety). WebSockets over HTTP/2 and TLS endpoints always take Kestrel's path.
    /// </summary>
    public WebSocketStack WebSocketStack { get; set; } = WebSocketStack.Connection;
}
