namespace Broadcast.Server.Engines;

/// <summary>
/// The engine could not complete an operation (for example, Redis is unreachable). Nothing was done,
/// unless it is an <see cref="EngineOutcomeUnknownException"/>: then the operation may have taken effect.
/// </summary>
public class EngineUnavailableException : Exception
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
