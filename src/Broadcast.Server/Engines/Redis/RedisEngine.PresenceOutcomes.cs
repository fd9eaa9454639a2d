namespace Broadcast.Server.Engines.Redis;

/// <summary>
/// Joins and leaves whose answer was lost (a timeout or a stall with the script sent: Redis may or may not have
/// run it). The node runs the same operation again, with the same outcome key, until Redis answers; the script
/// then returns what it decided the first time (or decides now, if it never ran), and the node reports that to
/// the observer. So a join or leave is decided once for the deployment and reported once, by the node that sent
/// it, even when its first answer never came (a webhook lost, or a channel never reported vacated, otherwise).
/// </summary>
public sealed partial class RedisEngine
{
    /// <summary>Joins being settled, by (channel, client key). Guarded by <see cref="_presenceLock"/>.</summary>
    private readonly HashSet<(string Channel, string ClientKey)> _settlingJoins = [];

    private static string NewOperation() => Guid.NewGuid().ToString("N");

    private void SettleJoin(string channel, PresenceMember member, string operation)
    {
        lock (_presenceLock)
        {
            _settlingJoins.Add((channel, member.ClientKey));
        }

        _ = Task.Run(async () =>
        {
            PresenceChange change = default;
            var settled = await _retry.RunAsync("presence_join_settle", async _ => change = ToChange(await RunJoinAsync(channel, member, operation)), _disposed.Token);
            if (settled)
            {
                _expiry?.OutcomeSettled(channel, member, joined: true, change);
            }

            bool left;
            lock (_presenceLock)
            {
                _settlingJoins.Remove((channel, member.ClientKey));
                left = !(_localPresence.TryGetValue(channel, out var members) && members.ContainsKey(member.ClientKey));
            }

            if (settled && left)
            {
                // It left here while its join was being settled (LeaveAsync left that to this): it leaves now, after its join.
                await LeaveSettledAsync(channel, member);
            }
        });
    }

    private void SettleLeave(string channel, PresenceMember member, string operation) =>
        _ = Task.Run(async () =>
        {
            PresenceChange change = default;
            if (await _retry.RunAsync("presence_leave_settle", async _ => change = ToChange(await RunLeaveAsync(channel, member, operation)), _disposed.Token))
            {
                _expiry?.OutcomeSettled(channel, member, joined: false, change);
            }
        });

    private async Task LeaveSettledAsync(string channel, PresenceMember member)
    {
        var operation = NewOperation();
        try
        {
            _expiry?.OutcomeSettled(channel, member, joined: false, ToChange(await RunLeaveAsync(channel, member, operation)));
        }
        catch (EngineUnavailableException)
        {
            SettleLeave(channel, member, operation);
        }
    }
}
