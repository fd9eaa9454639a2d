namespace Broadcast.Server.Http;

/// <summary>Where the web app is: the root key <c>Broadcast:WebAppPath</c>.</summary>
public sealed class WebAppOptions
{
    public const string Section = "Broadcast";

    /// <summary>Folder holding the built web app. Default: the <c>webapp</c> folder beside the server binaries.</summary>
    public string? WebAppPath { get; set; }
}
