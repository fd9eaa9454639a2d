using System.ComponentModel.DataAnnotations;

namespace Broadcast.Server.Http;

/// <summary>The HTTP API: the <c>Broadcast:Api</c> section.</summary>
public sealed class ApiOptions
{
    public const string Section = "Broadcast:Api";

    /// <summary>
    /// The key callers send as <c>X-API-Key</c> (or <c>Authorization: Bearer</c>). Unset: every API
    /// request gets 401, so a fresh install never exposes server-side publishing by accident.
    /// </summary>
    [MinLength(16, ErrorMessage = "Broadcast:Api:Key must be at least 16 characters long; use a random secret.")]
    public string? Key { get; set; }
}
