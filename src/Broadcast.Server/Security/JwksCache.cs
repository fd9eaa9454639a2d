using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Broadcast.Server.Security;

/// <summary>
/// The signing keys of the token issuer's JSON Web Key Set (<see cref="AuthOptions.JwksUrl"/>), so the issuer
/// can rotate its keys without a restart here. Fetched at start-up, then every
/// <see cref="AuthOptions.JwksRefreshInterval"/>, and again when a token names a key id (<c>kid</c>) no key has,
/// at most once per <see cref="AuthOptions.JwksMinRefreshInterval"/>: a flood of tokens with made-up key ids
/// costs the issuer one request per interval, not one per token. A failed fetch (the endpoint is down, or
/// answers nonsense) keeps the keys of the last good one: tokens signed with them go on working.
/// </summary>
/// <remarks>
/// Only keys that can verify one of the accepted algorithms are kept: RSA keys of 2048 bits or more and
/// P-256 EC keys, for signatures (<c>use</c> absent or <c>sig</c>), whose <c>alg</c> (when given) is RS256 or
/// ES256. Symmetric (<c>oct</c>) keys are never taken from a key set: a URL is not a place for a secret.
/// </remarks>
public sealed partial class JwksCache : IHostedService, IDisposable
{
    /// <summary>The name of the HttpClient the key set is fetched with (IHttpClientFactory).</summary>
    public const string HttpClientName = "jwks";

    /// <summary>Larger answers are refused: a key set is a few kilobytes.</summary>
    public const int MaxResponseBytes = 1024 * 1024;

    /// <summary>More keys than this in one set are refused.</summary>
    private const int MaxKeys = 100;

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly AuthOptions _options;
    private readonly IHttpClientFactory _http;
    private readonly TimeProvider _clock;
    private readonly ILogger<JwksCache> _logger;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopped = new();
    private SecurityKey[] _keys = [];
    private HashSet<string> _keyIds = new(StringComparer.Ordinal);
    private Task? _fetching;
    private long? _lastFetchStarted;
    private ITimer? _timer;

    public JwksCache(IOptions<AuthOptions> options, IHttpClientFactory http, TimeProvider clock, ILogger<JwksCache> logger)
    {
        _options = options.Value;
        _http = http;
        _clock = clock;
        _logger = logger;
        Url = _options.JwksUrl is { Length: > 0 } url ? new Uri(url, UriKind.Absolute) : null;
    }

    /// <summary>The key set's address; null when none is configured.</summary>
    public Uri? Url { get; }

    public bool IsConfigured => Url is not null;

    /// <summary>The keys of the last key set fetched successfully (empty before the first).</summary>
    public IReadOnlyList<SecurityKey> Keys => Volatile.Read(ref _keys);

    public bool HasKey(string keyId) => Volatile.Read(ref _keyIds).Contains(keyId);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Url is null)
        {
            return Task.CompletedTask;
        }

        if (Url.Scheme == Uri.UriSchemeHttp && !Url.IsLoopback)
        {
            LogPlainHttp(_logger, Url);
        }

        // In the background: the node serves while the issuer answers (or not); tokens naming a key not
        // fetched yet wait for this first fetch rather than starting another.
        _ = FetchOnceAsync();
        _timer = _clock.CreateTimer(static state => _ = ((JwksCache)state!).FetchOnceAsync(), this, _options.JwksRefreshInterval, _options.JwksRefreshInterval);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopped.CancelAsync();
        if (_timer is not null)
        {
            await _timer.DisposeAsync();
        }
    }

    /// <summary>
    /// A token named a key id no key has: fetch the key set again, unless a fetch started less than
    /// <see cref="AuthOptions.JwksMinRefreshInterval"/> ago (then wait for it if it is still running).
    /// </summary>
    public Task RefreshForUnknownKeyAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_fetching is { IsCompleted: false } running)
            {
                return running.WaitAsync(cancellationToken);
            }

            if (_lastFetchStarted is { } started && _clock.GetElapsedTime(started) < _options.JwksMinRefreshInterval)
            {
                return Task.CompletedTask;
            }
        }

        return FetchOnceAsync().WaitAsync(cancellationToken);
    }

    /// <summary>Starts a fetch unless one is running (then returns that one). Never throws.</summary>
    private Task FetchOnceAsync()
    {
        lock (_lock)
        {
            if (_fetching is { IsCompleted: false } running)
            {
                return running;
            }

            _lastFetchStarted = _clock.GetTimestamp();
            _fetching = Task.Run(FetchAsync);
            return _fetching;
        }
    }

    private async Task FetchAsync()
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopped.Token);
            timeout.CancelAfter(RequestTimeout);
            var client = _http.CreateClient(HttpClientName);
            client.MaxResponseContentBufferSize = MaxResponseBytes;
            using var response = await client.GetAsync(Url, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                LogFetchFailed(_logger, Url!, $"HTTP {(int)response.StatusCode}", Keys.Count);
                return;
            }

            var json = await response.Content.ReadAsStringAsync(timeout.Token);
            var set = new JsonWebKeySet(json);
            var (keys, skipped) = UsableKeys(set);
            if (keys.Count == 0 || set.Keys.Count > MaxKeys)
            {
                LogFetchFailed(_logger, Url!, set.Keys.Count > MaxKeys ? $"more than {MaxKeys} keys" : "no usable signing key (RSA of 2048 bits or more, or P-256 EC)", Keys.Count);
                return;
            }

            Volatile.Write(ref _keyIds, new HashSet<string>(keys.Select(k => k.KeyId).Where(id => id is not null)!, StringComparer.Ordinal));
            Volatile.Write(ref _keys, [.. keys]);
            LogFetched(_logger, Url!, keys.Count, skipped);
        }
        catch (Exception ex) when (!_stopped.IsCancellationRequested)
        {
            // Unreachable, too slow, too large, not JSON, not a key set: whatever it was, the last good keys stay.
            LogFetchFailed(_logger, Url!, ex.GetType().Name + ": " + ex.Message, Keys.Count);
        }
        catch (Exception)
        {
            // Stopping: nothing to keep up to date any more.
        }
    }

    /// <summary>The keys of <paramref name="set"/> that may verify one of the accepted algorithms, and how many were skipped.</summary>
    internal static (List<SecurityKey> Keys, int Skipped) UsableKeys(JsonWebKeySet set)
    {
        var usable = new List<SecurityKey>();
        foreach (var jwk in set.Keys)
        {
            var forSignatures = jwk.Use is null or "" or JsonWebKeyUseNames.Sig;
            var algorithm = jwk.Alg;
            var accepted = jwk.Kty switch
            {
                JsonWebAlgorithmsKeyTypes.RSA => algorithm is null or "" or SecurityAlgorithms.RsaSha256,
                JsonWebAlgorithmsKeyTypes.EllipticCurve => jwk.Crv == JsonWebKeyECTypes.P256 && algorithm is null or "" or SecurityAlgorithms.EcdsaSha256,
                _ => false,
            };
            if (!forSignatures || !accepted || !JsonWebKeyConverter.TryConvertToSecurityKey(jwk, out var key))
            {
                continue;
            }

            if (key is RsaSecurityKey { KeySize: < 2048 } or X509SecurityKey { KeySize: < 2048 })
            {
                continue;
            }

            key.KeyId = jwk.Kid;
            usable.Add(key);
        }

        return (usable, set.Keys.Count - usable.Count);
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _stopped.Dispose();
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Fetched the token issuer's key set from {Url}: {Count} signing keys ({Skipped} skipped: not RSA 2048+ or P-256 EC, or not for RS256/ES256 signatures)")]
    private static partial void LogFetched(ILogger logger, Uri url, int count, int skipped);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Could not fetch the token issuer's key set from {Url} ({Reason}); the {Count} keys fetched before stay in use")]
    private static partial void LogFetchFailed(ILogger logger, Uri url, string reason, int count);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Broadcast:Auth:JwksUrl {Url} is plain HTTP: anyone on the network path can replace the issuer's keys and sign tokens; use HTTPS")]
    private static partial void LogPlainHttp(ILogger logger, Uri url);
}
