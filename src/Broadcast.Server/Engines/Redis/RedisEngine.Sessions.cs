using StackExchange.Redis;

namespace Broadcast.Server.Engines.Redis;

/// <summary>Session owners in Redis (the first shard), so a session stays bound to its user whichever node the client resumes on.</summary>
public sealed partial class RedisEngine : ISessionOwners
{
    public async ValueTask<bool> TryClaimAsync(string publicId, string? user, bool isNew, CancellationToken cancellationToken)
    {
        if (user is null)
        {
            if (isNew)
            {
                // A fresh anonymous session: nothing to check, nothing to store.
                return true;
            }

            return !await Home.RunAsync((db, _) => db.KeyExistsAsync(_keys.SessionOwner(publicId)));
        }

        var claimed = await Home.RunAsync((db, _) => db.ScriptEvaluateAsync(
            RedisScripts.ClaimSession,
            [_keys.SessionOwner(publicId)],
            [user, (long)ISessionOwners.Retention.TotalMilliseconds]));
        return (long)claimed == 1;
    }
}
