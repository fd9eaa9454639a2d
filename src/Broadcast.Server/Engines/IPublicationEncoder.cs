namespace Broadcast.Server.Engines;

/// <summary>
/// Turns a publication into the bytes one kind of client receives. Each encoding owns one slot of
/// <see cref="Publication"/>'s cache (0 to <see cref="Publication.MaxEncodings"/> - 1), so its frame is built once per publication.
/// </summary>
public interface IPublicationEncoder
{
    int Slot { get; }

    byte[] Encode(Publication publication);
}
