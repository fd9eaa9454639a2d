using System.Reflection;
using Microsoft.OpenApi;

namespace Broadcast.Server.Http;

/// <summary>
/// <c>/openapi/v1.json</c> and an interactive UI at <c>/docs</c>; the original (FastAPI) server's paths too:
/// the same document at <c>/openapi.json</c> and a ReDoc page at <c>/redoc</c> (served from the
/// Swashbuckle.AspNetCore.ReDoc package, with a page of our own that loads nothing from elsewhere). The
/// WebSocket protocol is not something OpenAPI can model, so docs/protocol.md (embedded at build time, one
/// source of truth) becomes the document's description.
/// </summary>
internal static class ApiDocumentation
{
    public const string DocumentPath = "/openapi/v1.json";

    /// <summary>Where FastAPI serves its OpenAPI document, kept for clients of the original server.</summary>
    public const string OriginalDocumentPath = "/openapi.json";

    /// <summary>
    /// The ReDoc page: the package's own page without its web font link (fonts.googleapis.com), so the page
    /// works offline and tells no third party who reads the documentation.
    /// </summary>
    private const string ReDocPage = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
            <title>%(DocumentTitle)</title>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <link href="index.css" rel="stylesheet" type="text/css">
            %(HeadContent)
        </head>
        <body>
            <div id="redoc-container"></div>
            <script type="module" src="index.js"></script>
        </body>
        </html>
        """;

    public static IServiceCollection AddApiDocumentation(this IServiceCollection services)
    {
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = StatusEndpoints.ServiceName,
                Version = "v1",
                Description = ReadProtocolDescription(),
            };
            return Task.CompletedTask;
        }));
        return services;
    }

    public static WebApplication MapApiDocumentation(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapOpenApi(OriginalDocumentPath);
        app.UseSwaggerUI(options =>
        {
            options.RoutePrefix = "docs";
            options.DocumentTitle = StatusEndpoints.ServiceName + " API";
            options.SwaggerEndpoint(DocumentPath, StatusEndpoints.ServiceName);
        });
        app.UseReDoc(options =>
        {
            options.RoutePrefix = "redoc";
            options.DocumentTitle = StatusEndpoints.ServiceName + " API";
            options.SpecUrl = OriginalDocumentPath;
            options.IndexStream = () => new MemoryStream(System.Text.Encoding.UTF8.GetBytes(ReDocPage));
        });
        return app;
    }

    private static string ReadProtocolDescription()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("protocol.md");
        if (stream is null)
        {
            return "See docs/protocol.md for the WebSocket protocol.";
        }

        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
