namespace Broadcast.Server.Transport;

public enum ReceiveOutcome
{
    /// <summary>A complete message.</summary>
    Message,

    /// <summary>A message over the size limit: the transport is closing the connection with 1009.</summary>
    TooBig,

    /// <summary>A message in more fragments than allowed: the transport is closing the connection with 1008.</summary>
    TooManyFragments,

    /// <summary>The connection ended: the close handshake finished, or the peer went away.</summary>
    Ended,
}
