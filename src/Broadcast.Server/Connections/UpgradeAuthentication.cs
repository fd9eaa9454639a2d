namespace Broadcast.Server.Connections;

/// <summary>What the upgrade request proved: a principal, anonymous (null principal), or a refusal to answer with 401.</summary>
/// <param name="Principal">The token's principal; null for an anonymous client.</param>
/// <param name="RefusalCode">When not null the upgrade is refused with 401 and this code (<c>token_required</c> or <c>token_invalid</c>).</param>
internal sealed record UpgradeAuthentication(Security.ClientPrincipal? Principal, string? RefusalCode)
{
    public static readonly UpgradeAuthentication Anonymous = new(null, null);
}
