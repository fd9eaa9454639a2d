namespace Broadcast.Server.Engines.Memory;

/// <summary>
/// Session owners for a single node: the sessions users started or resumed, each with the user and its
/// expiry, oldest first. Bounded: past <see cref="Capacity"/> the longest-unused binding is forgotten
/// (that session can then be taken by the next holder of its token, as after <see cref="ISessionOwners.Retention"/>).
/// </summary>
public sealed class MemorySessionOwners(TimeProvider clock) : ISessionOwners
{
    /// <summary>About 25 MB at most; far more users than one node holds connections for.</summary>
    public const int Capacity = 100_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<Binding>> _bindings = new(StringComparer.Ordinal);

    // Every binding gets the same retention, so least recently claimed is also soonest to expire.
    private readonly LinkedList<Binding> _byAge = new();

    /// <summary>Bindings held (for tests).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _bindings.Count;
            }
        }
    }

    public ValueTask<bool> TryClaimAsync(string publicId, string? user, bool isNew, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            while (_byAge.First is { } oldest && oldest.Value.Expires <= now)
            {
                Forget(oldest);
            }

            _bindings.TryGetValue(publicId, out var bound);
            if (user is null)
            {
                // No user to bind: the token is the only credential, unless a user already holds the session.
                return ValueTask.FromResult(bound is null);
            }

            if (bound is not null)
            {
                if (!string.Equals(bound.Value.User, user, StringComparison.Ordinal))
                {
                    return ValueTask.FromResult(false);
                }

                Forget(bound);
            }
            else if (_bindings.Count >= Capacity && _byAge.First is { } leastRecent)
            {
                Forget(leastRecent);
            }

            _bindings[publicId] = _byAge.AddLast(new Binding(publicId, user, now + ISessionOwners.Retention));
            return ValueTask.FromResult(true);
        }
    }

    private void Forget(LinkedListNode<Binding> node)
    {
        _byAge.Remove(node);
        _bindings.Remove(node.Value.PublicId);
    }

    private sealed record Binding(string PublicId, string User, DateTimeOffset Expires);
}
