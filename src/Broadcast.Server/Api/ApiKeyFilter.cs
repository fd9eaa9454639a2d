using System.Security.Cryptography;
using System.Text;
using Broadcast.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Api;

/// <summary>Lets a request through only with the configured API key, compared in constant time.</summary>
internal sealed class ApiKeyFilter(IOptions<BroadcastOptions> options) : IEndpointFilter
{
    private readonly byte[]? _key = options.Value.Api.Key is { Length: > 0 } key ? Encoding.UTF8.GetBytes(key) : null;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_key is null)
        {
            return Unauthorized("The HTTP API is disabled: no API key is configured (Broadcast:Api:Key).");
        }

        var presented = PresentedKey(context.HttpContext.Request);
        if (presented is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _key))
        {
            return Unauthorized("A valid API key is required: send it as X-API-Key.");
        }

        return await next(context);
    }

    private static string? PresentedKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-API-Key", out var header) && header.Count == 1)
        {
            return header[0];
        }

        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
    }

    private static IResult Unauthorized(string reason)
    {
        return Results.Json(new { error = reason, code = "unauthorized" }, statusCode: StatusCodes.Status401Unauthorized);
    }
}
