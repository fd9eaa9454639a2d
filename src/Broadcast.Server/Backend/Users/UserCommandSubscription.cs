using Broadcast.Server.Channels;
using Broadcast.Server.Engines;
using Broadcast.Server.Security;

namespace Broadcast.Server.Backend.Users;

/// <summary>
/// Makes this node hear the actions on users (<see cref="UserChannels.Commands"/>) before it serves clients: the
/// listener is attached to the hub and the node subscribed in the engine at start-up. If the engine is down then,
/// the node starts anyway and keeps trying in the background (until then, actions sent meanwhile miss its connections).
/// </summary>
internal sealed class UserCommandSubscription(
    ChannelHub hub,
    UserCommandListener listener,
    IStreamEngine engine,
    BackgroundRetry retry) : IHostedService, IDisposable
{
    private const string Task = "user-actions-subscribe";
    private readonly CancellationTokenSource _stopping = new();
    private Task? _retrying;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        hub.Attach(listener);
        try
        {
            await engine.SubscribeNodeAsync(UserChannels.Commands, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            retry.Failed(Task, ex);
            _retrying = retry.RunAsync(Task, token => engine.SubscribeNodeAsync(UserChannels.Commands, token), _stopping.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_retrying is { } retrying)
        {
            await retrying.WaitAsync(cancellationToken);
        }
    }

    public void Dispose() => _stopping.Dispose();
}
