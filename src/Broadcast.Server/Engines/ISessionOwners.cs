namespace Broadcast.Server.Engines;

/// <summary>
/// Which user each session belongs to, shared by every node of a deployment (in this process for the
/// in-memory engine, in Redis for the Redis engine). A session started or resumed with a token belongs
/// to the token's <c>sub</c>; another user, or a client without a token, may not resume it. A session
/// without a user belongs to whoever holds its token, so nothing is stored for it until a user resumes it.
/// </summary>
public interface ISessionOwners
{
    /// <summary>
    /// How long a user's session stays bound after its last <c>hello</c>. Past it, the binding is forgotten
    /// and the next identity to present the token takes the session: only the holder of the token can.
    /// </summary>
    static TimeSpan Retention { get; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Starts (<paramref name="isNew"/>) or resumes the session <paramref name="publicId"/> for
    /// <paramref name="user"/> (null: no token, or a token without <c>sub</c>), binding it to that user.
    /// Returns false, and changes nothing, when the session belongs to another user.
    /// </summary>
    /// <exception cref="EngineUnavailableException">The engine cannot be reached: the caller cannot know the owner.</exception>
    ValueTask<bool> TryClaimAsync(string publicId, string? user, bool isNew, CancellationToken cancellationToken);
}
