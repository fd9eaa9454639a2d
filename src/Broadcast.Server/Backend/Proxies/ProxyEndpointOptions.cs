using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Backend.Proxies;

/// <summary>
/// One proxy: where the backend is asked, how long it may take, how often a failed call is tried again, and
/// what to decide when it cannot be asked. Each kind binds its own section (<c>Broadcast:Proxy:Connect</c>, …);
/// a proxy without <see cref="Url"/> is off.
/// </summary>
public abstract class ProxyEndpointOptions
{
    internal const string MinTimeout = "00:00:00.050";
    internal const string MaxTimeout = "00:01:00";
    internal const int MaxRetries = 5;
    internal const string PatternListRegex = @"^[A-Za-z0-9_.:@/*, -]*$";

    /// <summary>The backend's URL (http or https) the event is POSTed to as JSON; unset: this proxy is off.</summary>
    public string? Url { get; set; }

    /// <summary>How long the backend may take to answer, retries included; past it the call has failed (see <see cref="OnFailure"/>).</summary>
    // The ranges are checked (with each proxy's own key in the message) by ProxyEndpointOptionsValidator.
    [Range(typeof(TimeSpan), MinTimeout, MaxTimeout)]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>What to decide when the backend cannot be asked: <c>Deny</c> (default) or <c>Allow</c>.</summary>
    public ProxyFailureMode OnFailure { get; set; } = ProxyFailureMode.Deny;

    /// <summary>
    /// How many times a call that could not reach the backend (connection refused or reset, 502, 503, 504) is tried
    /// again, with backoff, within <see cref="Timeout"/>. Only where asking twice is harmless: not for publish and rpc by default.
    /// </summary>
    [Range(0, MaxRetries)]
    public int Retries { get; set; }

    public bool IsEnabled => Url is { Length: > 0 };

    internal abstract ProxyKind Kind { get; }

    /// <summary>The section this proxy's settings are read from (for messages naming a key).</summary>
    internal string SectionName => "Broadcast:Proxy:" + Kind;
}
