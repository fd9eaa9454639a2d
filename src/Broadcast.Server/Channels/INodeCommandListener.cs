using Broadcast.Server.Engines;

namespace Broadcast.Server.Channels;

/// <summary>
/// What every node does with the publications of one internal channel: commands for the whole deployment (the
/// application disconnecting a user, say), routed by the engine like any publication, so every node that
/// listens gets them, in order. Implemented above the channel layer, attached to the <see cref="ChannelHub"/>.
/// </summary>
public interface INodeCommandListener
{
    /// <summary>The internal channel; no client may subscribe or publish to it.</summary>
    string Channel { get; }

    /// <summary>A command; called by the engine's delivery (possibly under a lock of the engine): must not block.</summary>
    void Deliver(Publication publication);
}
