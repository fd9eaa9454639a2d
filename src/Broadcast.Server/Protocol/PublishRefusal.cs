namespace Broadcast.Server.Protocol;

/// <summary>A publish the gate refused: the error to answer, and whether the client must then be closed for flooding (1008).</summary>
public readonly record struct PublishRefusal(ProtocolError Error, bool Flooding);
