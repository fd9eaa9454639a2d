using System.Security.Cryptography;

namespace Broadcast.Server.Channels;

/// <summary>This server process's id among the nodes of a deployment: random per start.</summary>
public sealed class NodeIdentity
{
    public string Id { get; } = "n-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
}
