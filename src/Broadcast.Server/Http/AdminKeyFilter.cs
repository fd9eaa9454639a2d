using System.Security.Cryptography;
using System.Text;
using Broadcast.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Http;

/// <summary>
/// Guards the admin API with <c>Broadcast:Admin:Key</c> when one is configured (compared in constant
/// time); without a key the admin API is open, as docs/configuration.md warns.
/// </summary>
internal sealed class AdminKeyFilter(IOptions<BroadcastOptions> options) : IEndpointFilter
{
    public const string HeaderName = "X-Admin-Key";

    private readonly byte[]? _key = options.Value.Admin.Key is { Length: > 0 } key ? Encoding.UTF8.GetBytes(key) : null;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_key is not null)
        {
            var presented = PresentedKey(context.HttpContext.Request);
            if (presented is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _key))
            {
                return Results.Json(
                    new { error = "A valid admin key is required: send it as X-Admin-Key.", code = "unauthorized" },
                    statusCode: StatusCodes.Status401Unauthorized);
            }
        }

        return await next(context);
    }

    private static string? PresentedKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue(HeaderName, out var header) && header.Count == 1)
        {
            return header[0];
        }

        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
    }
}
