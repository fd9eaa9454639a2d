namespace Broadcast.Client;

/// <summary>A change of <see cref="BroadcastClient.State"/>.</summary>
/// <param name="State">The new state.</param>
/// <param name="ReconnectDelay">For <see cref="ConnectionState.Reconnecting"/>: how long the client waits before the next attempt.</param>
/// <param name="Error">For <see cref="ConnectionState.Disconnected"/>: why the connection ended or the attempt failed, when known.</param>
public sealed record ConnectionStateChange(ConnectionState State, TimeSpan? ReconnectDelay = null, Exception? Error = null);
