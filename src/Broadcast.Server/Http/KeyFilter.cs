using System.Security.Cryptography;
using System.Text;
using Broadcast.Server.Security;

namespace Broadcast.Server.Http;

/// <summary>
/// Lets a request through only with the configured key, sent as <see cref="HeaderName"/> or as
/// <c>Authorization: Bearer</c>, compared in constant time. Two instances guard the HTTP API (no key
/// configured: closed) and the admin API (no key configured: open, as docs/configuration.md warns).
/// </summary>
internal sealed class KeyFilter : IEndpointFilter
{
    private readonly byte[]? _key;
    private readonly bool _openWithoutKey;
    private readonly string _missingKey;
    private readonly string _wrongKey;

    private KeyFilter(string headerName, string? key, bool openWithoutKey, string missingKey, string wrongKey)
    {
        HeaderName = headerName;
        _key = key is { Length: > 0 } ? Encoding.UTF8.GetBytes(key) : null;
        _openWithoutKey = openWithoutKey;
        _missingKey = missingKey;
        _wrongKey = wrongKey;
    }

    public string HeaderName { get; }

    /// <summary>The HTTP API's filter (<c>Broadcast:Api:Key</c>): without a key nothing gets through, so a fresh install never exposes server-side publishing.</summary>
    public static KeyFilter ForApi(ApiOptions options) => new(
        "X-API-Key",
        options.Key,
        openWithoutKey: false,
        missingKey: "The HTTP API is disabled: no API key is configured (Broadcast:Api:Key).",
        wrongKey: "A valid API key is required: send it as X-API-Key.");

    /// <summary>The admin API's filter (<c>Broadcast:Admin:Key</c>): open without a key.</summary>
    public static KeyFilter ForAdmin(AdminOptions options) => new(
        "X-Admin-Key",
        options.Key,
        openWithoutKey: true,
        missingKey: "",
        wrongKey: "A valid admin key is required: send it as X-Admin-Key.");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_key is null)
        {
            return _openWithoutKey ? await next(context) : Unauthorized(_missingKey);
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
