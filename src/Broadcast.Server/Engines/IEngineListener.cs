namespace Broadcast.Server.Engines;

/// <summary>
/// This node, as an engine sees it (centrifuge's BrokerEventHandler): what the engine hands it for the
/// channels the node subscribed to, and whether the node still has subscribers of a channel. Implemented by
/// the node's channel hub; an engine never knows more of the node than this.
/// </summary>
public interface IEngineListener
{
    /// <summary>A publication of a channel this node subscribed to; called in offset order per channel, never concurrently for one channel.</summary>
    void DeliverPublication(Publication publication);

    /// <summary>Publications of the channel before <paramref name="position"/> may have been lost and cannot be recovered (history was lost, or a gap could not be filled).</summary>
    void DeliverUnrecoverable(string channel, StreamPosition position);

    /// <summary>Someone joined or left the channel's presence.</summary>
    void DeliverPresence(string channel, bool joined, PresenceMember member);

    /// <summary>True while the node has subscribers of the channel (an engine keeps its node subscription and the channel's epoch for them).</summary>
    bool HasLocalSubscribers(string channel);
}
