using Broadcast.Server.Engines;

namespace Broadcast.Server.Channels;

/// <summary>
/// The frames the channel layer sends, in one dialect's encoding: publications (cached per publication in
/// the encoding's slot) and the notices of a channel. Implemented per dialect outside the channel layer.
/// An empty frame means the encoding has no such notice: nothing is sent.
/// </summary>
public interface IChannelEncoding : IPublicationEncoder
{
    /// <summary>Publications before <paramref name="position"/> may have been lost and cannot be recovered.</summary>
    ReadOnlyMemory<byte> Unrecovered(string channel, StreamPosition position);

    /// <summary>Someone else joined or left the channel's presence.</summary>
    ReadOnlyMemory<byte> PresenceEvent(bool joined, string channel, PresenceMember member);

    /// <summary><paramref name="count"/> of the channel's publications were dropped because the subscriber reads too slowly.</summary>
    ReadOnlyMemory<byte> Dropped(string channel, int count);
}
