using Microsoft.AspNetCore.Diagnostics;

namespace Broadcast.Server.Http;

/// <summary>
/// Every error answer has a body a program can read, <c>{"error", "code"}</c>, like the endpoints' own: the
/// answers that come without one (a route that does not exist, a method it does not take, a query value that
/// does not bind, a server fault) get one here. Endpoints that write their own body keep it.
/// </summary>
internal static class JsonErrorBodies
{
    /// <summary>
    /// Runs after the WebSocket middleware: a WebSocket holds every middleware it passed through for its whole
    /// life, and the upgrade answers its refusals itself.
    /// </summary>
    public static WebApplication UseJsonErrorBodies(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // The exception is logged by the handler middleware; the client learns nothing internal.
            ExceptionHandler = context => WriteAsync(context.Response, StatusCodes.Status500InternalServerError),
        });
        app.UseStatusCodePages(context => WriteAsync(context.HttpContext.Response, context.HttpContext.Response.StatusCode));
        return app;
    }

    /// <summary>The code and text of an answer with this status that has no body of its own.</summary>
    public static (string Code, string Error) Describe(int status) => status switch
    {
        StatusCodes.Status400BadRequest => ("bad_request", "The request is malformed (a path or query value of the wrong form)."),
        StatusCodes.Status401Unauthorized => ("unauthorized", "Credentials are required."),
        StatusCodes.Status403Forbidden => ("forbidden", "This request is not allowed."),
        StatusCodes.Status404NotFound => ("not_found", "Nothing here: see /docs for the endpoints."),
        StatusCodes.Status405MethodNotAllowed => ("method_not_allowed", "This path does not take that method: see /docs."),
        StatusCodes.Status413PayloadTooLarge => ("body_too_large", "The request body is too large."),
        StatusCodes.Status415UnsupportedMediaType => ("unsupported_media_type", "The body must be JSON: send Content-Type: application/json."),
        StatusCodes.Status429TooManyRequests => ("rate_limited", "Too many requests; retry later."),
        StatusCodes.Status503ServiceUnavailable => ("unavailable", "The server cannot answer this now; retry later."),
        >= 500 => ("internal_error", "The server failed to answer; nothing about it is told here (see the server's log)."),
        _ => ("http_" + status.ToString(System.Globalization.CultureInfo.InvariantCulture), "The request was refused."),
    };

    private static Task WriteAsync(HttpResponse response, int status)
    {
        var (code, error) = Describe(status);
        response.StatusCode = status;
        return response.WriteAsJsonAsync(new ApiError(error, code));
    }
}
