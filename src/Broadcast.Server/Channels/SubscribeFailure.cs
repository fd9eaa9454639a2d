namespace Broadcast.Server.Channels;

/// <summary>Why a subscribe did not happen; each dialect tells its client in its own words.</summary>
public enum SubscribeFailure
{
    /// <summary>It happened.</summary>
    None,

    /// <summary>The subscriber is on <c>Broadcast:Channels:MaxChannelsPerConnection</c> channels already.</summary>
    TooManyChannels,

    /// <summary>The engine could not be reached; nothing was subscribed.</summary>
    EngineUnavailable,
}
