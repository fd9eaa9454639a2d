using Microsoft.Extensions.Options;

namespace Broadcast.Server.Security;

/// <summary>
/// Decides whether a client (its principal, or none) may subscribe to or publish on a channel. Anonymous connections get the
/// anonymous patterns; a connection with a token gets the token's patterns, plus the anonymous ones when
/// tokens are optional (dropping the token would grant those anyway). With <c>Required</c> the anonymous
/// patterns grant nothing, so a token decides everything.
/// </summary>
internal sealed class ChannelAuthorizer
{
    private readonly bool _required;
    private readonly ChannelPatterns _anonymousSubscribe;
    private readonly ChannelPatterns _anonymousPublish;

    public ChannelAuthorizer(IOptions<AuthOptions> options)
    {
        var auth = options.Value;
        _required = auth.Required;
        _anonymousSubscribe = ChannelPatterns.Parse(auth.AnonymousSubscribe);
        _anonymousPublish = ChannelPatterns.Parse(auth.AnonymousPublish);
    }

    /// <summary>
    /// Whether the client may subscribe to (and read the history and presence of) <paramref name="channel"/>: a
    /// channel its principal subscribes it to by itself (<see cref="ClientPrincipal.Channels"/>) is always allowed.
    /// </summary>
    /// <remarks>A user channel (<see cref="UserChannels"/>) is its user's only, whatever the patterns say.</remarks>
    public bool CanSubscribe(ClientPrincipal? principal, string channel) => UserChannels.Is(channel)
        ? UserChannels.IsOf(channel, principal?.UserId)
        : (principal is { Channels.Count: > 0 } && principal.Channels.Contains(channel, StringComparer.Ordinal))
          || Allows(principal?.Subscribe, _anonymousSubscribe, channel);

    /// <remarks>No client publishes to a user channel: the application does, through the HTTP API.</remarks>
    public bool CanPublish(ClientPrincipal? principal, string channel) =>
        !UserChannels.Is(channel) && Allows(principal?.Publish, _anonymousPublish, channel);

    /// <summary>
    /// Every pattern <see cref="CanSubscribe"/> and <see cref="CanPublish"/> grant <paramref name="principal"/>:
    /// the token's, plus the anonymous ones unless tokens are required. A channel is allowed exactly when one
    /// of them matches it.
    /// </summary>
    public ChannelPermissions PermissionsOf(ClientPrincipal? principal) => new(
        Granted(principal?.Subscribe, _anonymousSubscribe),
        Granted(principal?.Publish, _anonymousPublish));

    private IReadOnlyList<string> Granted(ChannelPatterns? granted, ChannelPatterns anonymous)
    {
        var patterns = granted ?? ChannelPatterns.None;
        return (_required ? patterns : patterns.Union(anonymous)).Patterns;
    }

    private bool Allows(ChannelPatterns? granted, ChannelPatterns anonymous, string channel)
    {
        if (granted is not null && granted.Allows(channel))
        {
            return true;
        }

        return !_required && anonymous.Allows(channel);
    }
}
