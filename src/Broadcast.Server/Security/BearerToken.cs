namespace Broadcast.Server.Security;

/// <summary>The one reader of <c>Authorization: Bearer …</c> (RFC 6750): HTTP keys and WebSocket tokens alike.</summary>
public static class BearerToken
{
    private const string Scheme = "Bearer ";

    /// <summary>The credential after the scheme (case-insensitive), trimmed; null when the header is not a bearer one or is empty.</summary>
    public static string? Parse(string? header) =>
        header is not null && header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) && header.Length > Scheme.Length
            ? header[Scheme.Length..].Trim()
            : null;
}
