namespace Broadcast.Server.Engines;

/// <summary>
/// The engine failed after the operation may have reached it (a timeout, a stall, a connection lost with the
/// command in flight): it may or may not have taken effect, and the engine cannot know which. A publish that
/// fails so may be published; retrying it with the same message id is safe (issue #12, finding 1).
/// </summary>
/// <remarks>
/// A subclass of <see cref="EngineUnavailableException"/>, so every caller that only needs "it failed" (reads,
/// subscribes) keeps catching that; only the answer to a publish tells the two apart.
/// </remarks>
public sealed class EngineOutcomeUnknownException : EngineUnavailableException
{
    public EngineOutcomeUnknownException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
