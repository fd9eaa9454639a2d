namespace Broadcast.Server.Security;

/// <summary>
/// Per-user channels, <c>@user:{sub}</c>: the channel that reaches every connection of one user. Only that user
/// may subscribe to it (whatever the patterns say), and no client may publish to it: the application publishes
/// to a user through the HTTP API (<c>POST /api/users/{user}/publish</c>).
/// </summary>
public static class UserChannels
{
    public const string Prefix = "@user:";

    /// <summary>
    /// The internal channel of the actions on users (disconnect, unsubscribe) that every node carries out: the user
    /// channel of nobody (a user id has 1 to 256 characters), so no client may subscribe to it or publish to it.
    /// </summary>
    public const string Commands = Prefix;

    /// <summary>The user channel of <paramref name="user"/> (it may not be a valid channel name: see the caller).</summary>
    public static string For(string user) => Prefix + user;

    public static bool Is(string channel) => channel.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Whether <paramref name="channel"/> is the user channel of <paramref name="user"/>.</summary>
    public static bool IsOf(string channel, string? user) =>
        user is not null && channel.Length == Prefix.Length + user.Length && Is(channel) && channel.AsSpan(Prefix.Length).SequenceEqual(user);
}
