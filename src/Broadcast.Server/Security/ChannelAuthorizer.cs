using Broadcast.Server.Configuration;
using Broadcast.Server.Connections;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Security;

/// <summary>
/// Decides whether a connection may subscribe to or publish on a channel. Anonymous connections get the
/// anonymous patterns; a connection with a token gets the token's patterns, plus the anonymous ones when
/// tokens are optional (dropping the token would grant those anyway). With <c>Required</c> the anonymous
/// patterns grant nothing, so a token decides everything.
/// </summary>
internal sealed class ChannelAuthorizer
{
    private readonly bool _required;
    private readonly ChannelPermissions _anonymousSubscribe;
    private readonly ChannelPermissions _anonymousPublish;

    public ChannelAuthorizer(IOptions<BroadcastOptions> options)
    {
        var auth = options.Value.Auth;
        _required = auth.Required;
        _anonymousSubscribe = ChannelPermissions.Parse(auth.AnonymousSubscribe);
        _anonymousPublish = ChannelPermissions.Parse(auth.AnonymousPublish);
    }

    public bool CanSubscribe(ClientConnection connection, string channel) =>
        Allows(connection.Principal?.Subscribe, _anonymousSubscribe, channel);

    public bool CanPublish(ClientConnection connection, string channel) =>
        Allows(connection.Principal?.Publish, _anonymousPublish, channel);

    private bool Allows(ChannelPermissions? granted, ChannelPermissions anonymous, string channel)
    {
        if (granted is not null && granted.Allows(channel))
        {
            return true;
        }

        return !_required && anonymous.Allows(channel);
    }
}
