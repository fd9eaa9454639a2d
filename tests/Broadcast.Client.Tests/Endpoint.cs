namespace Broadcast.Client.Tests;

/// <summary>
/// Where a client connects, switchable during a test: offline points it at a closed port, so its
/// reconnect attempts are refused (a network that is down) until it is pointed at a server again.
/// </summary>
public sealed class Endpoint
{
    private static readonly Uri Closed = new("ws://127.0.0.1:1/ws/events");
    private Uri _current;
    private int _attempts;

    public Endpoint(Uri uri)
    {
        _current = uri;
    }

    /// <summary>How many connection attempts asked for the address.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    public void GoOffline() => Volatile.Write(ref _current, Closed);

    public void PointAt(Uri uri) => Volatile.Write(ref _current, uri);

    public Uri Next()
    {
        Interlocked.Increment(ref _attempts);
        return Volatile.Read(ref _current);
    }
}
