using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Security;

/// <summary>
/// Authentication of WebSocket clients with JWT bearer tokens: the <c>Broadcast:Auth</c> section
/// (docs/security.md). The defaults keep the original protocol working without any token: anonymous clients
/// may use the default channel (<c>events</c>) and nothing else.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Broadcast:Auth";

    /// <summary>The channel of the original protocol (the channel layer's <c>ChannelName.Default</c>): the one anonymous clients get by default.</summary>
    public const string DefaultChannel = "events";

    /// <summary>When true every upgrade needs a valid token (401 otherwise); anonymous patterns then grant nothing.</summary>
    public bool Required { get; set; }

    /// <summary>When set, a token's <c>iss</c> must equal it.</summary>
    public string? Issuer { get; set; }

    /// <summary>When set, a token's <c>aud</c> (a string or an array) must contain it.</summary>
    public string? Audience { get; set; }

    /// <summary>Secret for HS256 tokens (UTF-8); unset disables HS256. 32 bytes at least, as RFC 7518 asks for HS256.</summary>
    [MinLength(32, ErrorMessage = "Broadcast:Auth:HmacSecret must be at least 32 characters long; use a random secret.")]
    public string? HmacSecret { get; set; }

    /// <summary>
    /// Public key (PEM, <c>-----BEGIN PUBLIC KEY-----</c>) for RS256 (an RSA key) or ES256 (a P-256 key);
    /// unset disables both. A literal <c>\n</c> counts as a line break, so the key fits in one environment variable.
    /// </summary>
    public string? PublicKeyPem { get; set; }

    /// <summary>
    /// Path of a PEM file holding that public key, instead of <see cref="PublicKeyPem"/> (set at most one of
    /// the two): a mounted secret or a key rotated by replacing the file. Read at start-up; a missing,
    /// unreadable or invalid file stops the server.
    /// </summary>
    public string? PublicKeyPemFile { get; set; }

    /// <summary>
    /// URL of the token issuer's JSON Web Key Set (RFC 7517), e.g. <c>https://issuer.example/.well-known/jwks.json</c>:
    /// RS256 and ES256 tokens are then also checked against its keys, picked by the token's <c>kid</c>, and the
    /// issuer may rotate them without a restart here. Works beside <see cref="HmacSecret"/> and the PEM key.
    /// </summary>
    public string? JwksUrl { get; set; }

    /// <summary>How often the key set is fetched again, so keys the issuer added or withdrew take effect.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00", ErrorMessage = "Broadcast:Auth:JwksRefreshInterval must be between {1} and {2}.")]
    public TimeSpan JwksRefreshInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A token naming a key id (<c>kid</c>) that no key has makes the key set be fetched again, but at most once
    /// in this interval: tokens with made-up key ids cannot turn into a flood of requests to the issuer.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Broadcast:Auth:JwksMinRefreshInterval must be between {1} and {2}.")]
    public TimeSpan JwksMinRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Tolerance for clocks that differ between the token issuer and this server (exp and nbf).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00", ErrorMessage = "Broadcast:Auth:ClockSkew must be between {1} and {2}.")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a connection may stay open after its token expired (plus the clock skew) while the client
    /// sends a fresh one; then it is closed with 1008 "token expired".
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Broadcast:Auth:ExpiryGrace must be between {1} and {2}.")]
    public TimeSpan ExpiryGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Channel patterns anyone may subscribe to without a token (comma-separated, <c>*</c> wildcard; empty: none).
    /// By default only the default channel, so the original protocol works out of the box and nothing else is open.
    /// </summary>
    [RegularExpression(PatternListRegex, ErrorMessage = "Broadcast:Auth:AnonymousSubscribe must be comma-separated channel patterns (A-Z a-z 0-9 _ - . : @ / and *).")]
    public string AnonymousSubscribe { get; set; } = DefaultChannel;

    /// <summary>Channel patterns anyone may publish to without a token (comma-separated, <c>*</c> wildcard; empty: none). By default only the default channel.</summary>
    [RegularExpression(PatternListRegex, ErrorMessage = "Broadcast:Auth:AnonymousPublish must be comma-separated channel patterns (A-Z a-z 0-9 _ - . : @ / and *).")]
    public string AnonymousPublish { get; set; } = DefaultChannel;

    /// <summary>
    /// When true, every v2 connection with a user (a token's <c>sub</c>, or the connect proxy's <c>user</c>) is
    /// subscribed by the server, after <c>hello</c>, to its user channel <c>@user:{user}</c> (when that is a valid
    /// channel name), which the HTTP API publishes to.
    /// </summary>
    public bool UserChannels { get; set; }

    private const string PatternListRegex = @"^[A-Za-z0-9_.:@/*, -]*$";
}
