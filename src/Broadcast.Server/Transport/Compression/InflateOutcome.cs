namespace Broadcast.Server.Transport.Compression;

/// <summary>What inflating a compressed message gave.</summary>
internal enum InflateOutcome
{
    /// <summary>The whole message, within the limit.</summary>
    Inflated,

    /// <summary>It inflates past the message limit (close 1009); inflating stopped there.</summary>
    TooBig,

    /// <summary>Not valid DEFLATE data (close 1007).</summary>
    Invalid,
}
