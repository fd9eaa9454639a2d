namespace Broadcast.Client;

/// <summary>The server rejected a request with an error frame.</summary>
public sealed class BroadcastException : Exception
{
    /// <summary>Creates the exception for an error <paramref name="code"/> (see <see cref="ErrorCodes"/>).</summary>
    public BroadcastException(string code, string message)
        : base(message)
    {
        Code = code;
    }

    /// <summary>The stable error code, one of <see cref="ErrorCodes"/>.</summary>
    public string Code { get; }
}
