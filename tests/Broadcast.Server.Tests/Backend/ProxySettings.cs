using Broadcast.Testing;

namespace Broadcast.Server.Tests.Backend;

/// <summary>The settings that point one proxy at a test backend, with a short timeout so a slow backend is given up on quickly.</summary>
internal static class ProxySettings
{
    /// <summary>
    /// Short enough that a test waiting past it stays quick, long enough for a loaded machine's loopback call:
    /// 2 s was not (a refresh answered "disconnect" timed out and closed with 1008 under a loaded full run).
    /// </summary>
    public const string Timeout = "00:00:05";

    public static Dictionary<string, string?> For(string proxy, TestBackend backend, string onFailure = "Deny", string? channels = null)
    {
        var section = "Broadcast:Proxy:" + proxy;
        var settings = new Dictionary<string, string?>
        {
            [section + ":Url"] = backend.Url("/" + proxy.ToLowerInvariant()).ToString(),
            [section + ":Timeout"] = Timeout,
            [section + ":OnFailure"] = onFailure,
            [section + ":Retries"] = "0",
        };
        if (channels is not null)
        {
            settings[section + ":Channels"] = channels;
        }

        return settings;
    }

    public static Dictionary<string, string?> With(this Dictionary<string, string?> settings, IReadOnlyDictionary<string, string?> more)
    {
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }
}
