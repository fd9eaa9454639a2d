namespace Broadcast.Server.Security;

/// <summary>
/// What one connection may do, as channel patterns in the configuration's syntax (<c>*</c> matches any run of
/// characters): subscribe (and read history and presence of) and publish. Told to the client in
/// <c>welcome</c>, <c>authenticated</c> and <c>/api/connect-check</c>, so a page can offer only what it may use.
/// </summary>
public sealed record ChannelPermissions(IReadOnlyList<string> Subscribe, IReadOnlyList<string> Publish);
