using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Broadcast.Server.Http;

/// <summary>
/// The built web app (Vite output): <c>index.html</c> for <c>GET /</c> from browsers, and its hashed
/// assets as static files. Found in <see cref="WebAppOptions.WebAppPath"/> or beside the binaries.
/// </summary>
public sealed class WebAppFiles
{
    private readonly string _root;

    public WebAppFiles(IOptions<WebAppOptions> options)
    {
        _root = options.Value.WebAppPath is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.Combine(AppContext.BaseDirectory, "webapp");
        IsAvailable = File.Exists(Path.Combine(_root, "index.html"));
    }

    public bool IsAvailable { get; }

    public string Root => _root;

    public IFileProvider CreateFileProvider() =>
        IsAvailable ? new PhysicalFileProvider(_root) : new NullFileProvider();

    public static bool AcceptsHtml(HttpRequest request)
    {
        foreach (var value in request.GetTypedHeaders().Accept)
        {
            if (value.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    public async Task SendIndexAsync(HttpContext context)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        // index.html names the hashed assets of the current build, so it must never be cached stale.
        context.Response.Headers[HeaderNames.CacheControl] = "no-cache";
        await context.Response.SendFileAsync(Path.Combine(_root, "index.html"));
    }
}
