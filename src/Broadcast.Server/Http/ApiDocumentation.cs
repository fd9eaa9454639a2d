using System.Reflection;
using Microsoft.OpenApi;

namespace Broadcast.Server.Http;

/// <summary>
/// <c>/openapi/v1.json</c> and an interactive UI at <c>/docs</c>. The WebSocket protocol is not
/// something OpenAPI can model, so docs/protocol.md (embedded at build time, one source of truth)
/// becomes the document's description.
/// </summary>
internal static class ApiDocumentation
{
    public const string DocumentPath = "/openapi/v1.json";

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
        app.UseSwaggerUI(options =>
        {
            options.RoutePrefix = "docs";
            options.DocumentTitle = StatusEndpoints.ServiceName + " API";
            options.SwaggerEndpoint(DocumentPath, StatusEndpoints.ServiceName);
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
