namespace Broadcast.Server.Engines;

/// <summary>The engine could not complete an operation (for example, Redis is unreachable). Nothing was published.</summary>
public sealed class EngineUnavailableException : Exception
{
    public EngineUnavailableException(string message)
        : base(message)
    {
    }

    public EngineUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
