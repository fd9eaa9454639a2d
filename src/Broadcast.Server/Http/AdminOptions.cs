using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Http;

/// <summary>The admin view and its API (<c>/admin</c>, <c>/api/admin/*</c>): the <c>Broadcast:Admin</c> section.</summary>
public sealed class AdminOptions
{
    public const string Section = "Broadcast:Admin";

    /// <summary>
    /// The key the admin view asks for and sends as <c>X-Admin-Key</c>. Unset: the admin API and page are
    /// off (404), unless <see cref="AllowAnonymous"/> opens them, so a published build never shows its
    /// clients' addresses to whoever reaches it.
    /// </summary>
    [MinLength(16, ErrorMessage = "Broadcast:Admin:Key must be at least 16 characters long; use a random secret.")]
    public string? Key { get; set; }

    /// <summary>
    /// Opens the admin API and page without a key. For local development only (appsettings.Development.json
    /// sets it); ignored when <see cref="Key"/> is set, which then guards them.
    /// </summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>How the admin API is reachable with these settings.</summary>
    public AdminAccess Access => Key is { Length: > 0 } ? AdminAccess.KeyRequired : AllowAnonymous ? AdminAccess.Anonymous : AdminAccess.Off;
}
