using System.Security.Cryptography;
using System.Text;
using Broadcast.Server.Security;

namespace Broadcast.Server.Http;

/// <summary>
/// Lets a request through only with the configured key, sent as <see cref="HeaderName"/> or as
/// <c>Authorization: Bearer</c>, compared in constant time. Two instances guard the HTTP API (no key
/// configured: 401) and the admin API (no key configured: 404, the API is off, unless opened for development).
/// </summary>
internal sealed class KeyFilter : IEndpointFilter
{
    /// <summary>The code of the admin API's 404 while it is off.</summary>
    public const string AdminDisabledCode = "admin_disabled";

    /// <summary>What the admin API and page say while they are off.</summary>
    public const string AdminDisabledText = "The admin API and page are off: set Broadcast:Admin:Key (environment variable Broadcast__Admin__Key) to a random secret of 16 characters or more to enable them, or, for local development only, Broadcast:Admin:AllowAnonymous=true.";

    private readonly byte[]? _key;
    private readonly Func<IResult>? _withoutKey;
    private readonly string _wrongKey;

    /// <param name="withoutKey">The answer when no key is configured; null lets every request through.</param>
    private KeyFilter(string headerName, string? key, Func<IResult>? withoutKey, string wrongKey)
    {
        HeaderName = headerName;
        _key = key is { Length: > 0 } ? Encoding.UTF8.GetBytes(key) : null;
        _withoutKey = withoutKey;
        _wrongKey = wrongKey;
    }

    public string HeaderName { get; }

    /// <summary>The HTTP API's filter (<c>Broadcast:Api:Key</c>): without a key nothing gets through, so a fresh install never exposes server-side publishing.</summary>
    public static KeyFilter ForApi(ApiOptions options) => new(
        "X-API-Key",
        options.Key,
        withoutKey: static () => Unauthorized("The HTTP API is disabled: no API key is configured (Broadcast:Api:Key)."),
        wrongKey: "A valid API key is required: send it as X-API-Key.");

    /// <summary>
    /// The admin API's filter (<c>Broadcast:Admin:Key</c>): without a key the API is off (404, so a published
    /// build does not even say it has one to guess), unless <see cref="AdminOptions.AllowAnonymous"/> opens it.
    /// </summary>
    public static KeyFilter ForAdmin(AdminOptions options) => new(
        "X-Admin-Key",
        options.Key,
        withoutKey: options.Access == AdminAccess.Anonymous ? null : static () => Results.Json(new { error = AdminDisabledText, code = AdminDisabledCode }, statusCode: StatusCodes.Status404NotFound),
        wrongKey: "A valid admin key is required: send it as X-Admin-Key.");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_key is null)
        {
            return _withoutKey is null ? await next(context) : _withoutKey();
        }

        var presented = PresentedKey(context.HttpContext.Request);
        if (presented is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _key))
        {
            return Unauthorized(_wrongKey);
        }

        return await next(context);
    }

    private string? PresentedKey(HttpRequest request) =>
        request.Headers.TryGetValue(HeaderName, out var header) && header.Count == 1
            ? header[0]
            : BearerToken.Parse(request.Headers.Authorization.ToString());

    private static IResult Unauthorized(string reason) =>
        Results.Json(new { error = reason, code = "unauthorized" }, statusCode: StatusCodes.Status401Unauthorized);
}
