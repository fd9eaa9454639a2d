using Broadcast.Server.Security;

namespace Broadcast.Server.Connections;

/// <summary>What the upgrade request proved: a principal, anonymous (null principal), or a refusal to answer before the upgrade.</summary>
/// <param name="Principal">The token's (or the backend's) principal; null for an anonymous client.</param>
/// <param name="RefusalCode">When not null the upgrade is refused with 401 and this code (<c>token_required</c> or <c>token_invalid</c>).</param>
internal sealed record UpgradeAuthentication(ClientPrincipal? Principal, string? RefusalCode)
{
    public static readonly UpgradeAuthentication Anonymous = new(null, null);

    /// <summary>The application's backend refused the client (the connect proxy): 403, or 503 when it could not be asked.</summary>
    public BackendRefusal? BackendRefusal { get; init; }

    /// <summary>JSON the connect proxy gave for the client (a v2 client gets it in <c>welcome</c>).</summary>
    public byte[]? ConnectData { get; init; }

    /// <summary>The upgrade's headers the backend is sent with later proxy calls.</summary>
    public IReadOnlyDictionary<string, string> ForwardedHeaders { get; init; } = ClientContext.NoHeaders;

    public bool IsRefused => RefusalCode is not null || BackendRefusal is not null;
}
