namespace Broadcast.Client;

/// <summary>The outcome of resuming a channel after a reconnect.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="Recovered">
/// True when the server replays everything missed (<paramref name="Missed"/> publications); false when the
/// position was lost (epoch changed or history exceeded) and the subscription continues live from
/// <paramref name="Offset"/>: the application must resynchronize, for example with
/// <see cref="BroadcastClient.HistoryAsync"/> or by reloading its state.
/// </param>
/// <param name="Missed">How many publications are replayed (0 when not recovered).</param>
/// <param name="Epoch">The channel's epoch now.</param>
/// <param name="Offset">The channel's latest offset when the subscription was re-established.</param>
public sealed record ChannelRecovery(string Channel, bool Recovered, int Missed, string Epoch, long Offset);
