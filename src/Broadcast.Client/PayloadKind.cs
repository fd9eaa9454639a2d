namespace Broadcast.Client;

/// <summary>What a publication carries (docs/protocol.md, "Payloads").</summary>
public enum PayloadKind
{
    /// <summary>A string: <see cref="Publication.Message"/>.</summary>
    Message,

    /// <summary>Any JSON value: <see cref="Publication.Data"/>.</summary>
    Data,

    /// <summary>Binary: <see cref="Publication.Bytes"/>.</summary>
    Bytes,
}
