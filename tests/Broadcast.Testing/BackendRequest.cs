namespace Broadcast.Testing;

/// <summary>One request a <see cref="TestBackend"/> received: what the server under test sent it.</summary>
public sealed record BackendRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset ReceivedAt)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}
