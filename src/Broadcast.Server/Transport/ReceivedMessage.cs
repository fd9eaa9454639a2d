namespace Broadcast.Server.Transport;

/// <summary>What one <see cref="IClientConnection.ReceiveAsync"/> brought.</summary>
/// <param name="Outcome">A message, a refused message, or the end.</param>
/// <param name="Payload">The message (for <see cref="ReceiveOutcome.Message"/>): valid until the next receive.</param>
/// <param name="IsBinary">A binary message rather than text.</param>
/// <param name="BytesReceived">Payload bytes read for this result, discarded ones included (the received-bytes metric).</param>
/// <param name="EndReason">For <see cref="ReceiveOutcome.Ended"/>: the label logged and counted (<c>client_closed</c>, the server's close label, <c>connection_lost</c>).</param>
public readonly record struct ReceivedMessage(
    ReceiveOutcome Outcome,
    ReadOnlyMemory<byte> Payload = default,
    bool IsBinary = false,
    int BytesReceived = 0,
    string? EndReason = null)
{
    public static ReceivedMessage Ended(string reason, int bytesReceived = 0) => new(ReceiveOutcome.Ended, BytesReceived: bytesReceived, EndReason: reason);
}
