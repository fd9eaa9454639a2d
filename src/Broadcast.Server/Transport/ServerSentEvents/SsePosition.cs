namespace Broadcast.Server.Transport.ServerSentEvents;

/// <summary>One channel's place in its stream, as an SSE event id carries it: <c>{channel}={epoch}:{offset}</c>.</summary>
/// <param name="Channel">The channel's name (never holds <c>=</c> or <c>,</c>).</param>
/// <param name="Epoch">The channel's epoch (the server's are hex).</param>
/// <param name="Offset">The last offset seen of that epoch.</param>
public readonly record struct SsePosition(string Channel, string Epoch, long Offset);
