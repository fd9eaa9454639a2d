using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Http;

/// <summary>The admin view and its API (<c>/admin</c>, <c>/api/admin/*</c>): the <c>Broadcast:Admin</c> section.</summary>
public sealed class AdminOptions
{
    public const string Section = "Broadcast:Admin";

    /// <summary>
    /// The key the admin view asks for and sends as <c>X-Admin-Key</c>. Unset: the admin API is open to
    /// anyone who can reach the server (fine on a laptop or behind a private network; set it anywhere else).
    /// </summary>
    [MinLength(16, ErrorMessage = "Broadcast:Admin:Key must be at least 16 characters long; use a random secret.")]
    public string? Key { get; set; }
}
