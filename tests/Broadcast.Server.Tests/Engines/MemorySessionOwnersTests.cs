using Broadcast.Server.Engines;
using Broadcast.Server.Engines.Memory;

namespace Broadcast.Server.Tests.Engines;

/// <summary>The in-memory record of which user owns which session: binding, expiry and its bound.</summary>
public sealed class MemorySessionOwnersTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task A_users_session_is_refused_to_others_until_its_binding_expires_after_the_retention()
    {
        var clock = new ManualClock();
        var owners = new MemorySessionOwners(clock);
        Assert.True(await owners.TryClaimAsync("p_alice", "alice", isNew: true, CancellationToken.None));
        Assert.False(await owners.TryClaimAsync("p_alice", "bob", isNew: false, CancellationToken.None));
        Assert.False(await owners.TryClaimAsync("p_alice", null, isNew: false, CancellationToken.None));

        // Each resume by its owner renews the binding.
        clock.Now += ISessionOwners.Retention - TimeSpan.FromMinutes(1);
        Assert.True(await owners.TryClaimAsync("p_alice", "alice", isNew: false, CancellationToken.None));
        clock.Now += ISessionOwners.Retention - TimeSpan.FromMinutes(1);
        Assert.False(await owners.TryClaimAsync("p_alice", "bob", isNew: false, CancellationToken.None));

        clock.Now += TimeSpan.FromMinutes(2);
        Assert.True(await owners.TryClaimAsync("p_alice", null, isNew: false, CancellationToken.None));
        Assert.Equal(0, owners.Count);
    }

    [Fact]
    public async Task Sessions_without_a_user_store_nothing_and_the_bindings_kept_are_bounded()
    {
        var owners = new MemorySessionOwners(new ManualClock());
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(await owners.TryClaimAsync($"p_anon{i}", null, isNew: i % 2 == 0, CancellationToken.None));
        }

        Assert.Equal(0, owners.Count);
        for (var i = 0; i < MemorySessionOwners.Capacity + 10; i++)
        {
            await owners.TryClaimAsync($"p_user{i}", "u" + i, isNew: true, CancellationToken.None);
        }

        Assert.Equal(MemorySessionOwners.Capacity, owners.Count);
        // The least recently claimed were forgotten; the newest are still bound.
        Assert.True(await owners.TryClaimAsync("p_user0", "someone else", isNew: false, CancellationToken.None));
        Assert.False(await owners.TryClaimAsync($"p_user{MemorySessionOwners.Capacity + 9}", "someone else", isNew: false, CancellationToken.None));
    }
}
