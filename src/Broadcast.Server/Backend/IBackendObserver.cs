using Broadcast.Server.Backend.Proxies;

namespace Broadcast.Server.Backend;

/// <summary>What the backend room reports (metrics); implemented outside it.</summary>
public interface IBackendObserver
{
    /// <summary>A proxy call ended with <paramref name="outcome"/> (allowed, refused, disconnected, timeout, unreachable, error_status, invalid_answer) after <paramref name="duration"/>.</summary>
    void ProxyCalled(ProxyKind kind, string outcome, TimeSpan duration);
}
