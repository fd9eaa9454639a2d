using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace Broadcast.Server.Http;

internal static partial class WebAppSetup
{
    public static WebApplication UseWebApp(this WebApplication app)
    {
        var files = app.Services.GetRequiredService<WebAppFiles>();
        if (!files.IsAvailable)
        {
            LogMissing(app.Logger, files.Root);
            return app;
        }

        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files.CreateFileProvider(),
            ContentTypeProvider = new FileExtensionContentTypeProvider(),
            OnPrepareResponse = context =>
            {
                // Vite puts a content hash in every asset name under /assets, so they can be cached for good.
                if (context.Context.Request.Path.StartsWithSegments("/assets"))
                {
                    context.Context.Response.Headers[HeaderNames.CacheControl] = "public, max-age=31536000, immutable";
                }
            },
        });
        return app;
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "The web app was not found in {Root}; GET / answers with JSON only. Build it with 'npm ci && npm run build' in web/.")]
    private static partial void LogMissing(ILogger logger, string root);
}
