namespace Broadcast.Client;

/// <summary>Invokes application event handlers.</summary>
internal static class EventRaiser
{
    /// <summary>
    /// Handlers run on the client's receive loop. One that throws must not end the connection (the
    /// reconnect would hide the bug behind a reconnect loop), so its exception is dropped: handlers that
    /// can fail should catch their own exceptions.
    /// </summary>
    public static void Raise<T>(EventHandler<T>? handler, object sender, T args)
    {
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(sender, args);
        }
        catch (Exception)
        {
        }
    }
}
