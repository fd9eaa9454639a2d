namespace Broadcast.Server.Security;

/// <summary>The outcome of validating a token: a principal, or why it was refused (never the token itself).</summary>
public sealed record TokenValidationResult(ClientPrincipal? Principal, string? Failure)
{
    public static TokenValidationResult Valid(ClientPrincipal principal) => new(principal, null);

    public static TokenValidationResult Invalid(string failure) => new(null, failure);
}
