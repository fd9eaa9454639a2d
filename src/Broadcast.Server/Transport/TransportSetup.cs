using Broadcast.Server.Transport.WebSockets;

namespace Broadcast.Server.Transport;

public static class TransportSetup
{
    /// <summary>The writer threads (one <see cref="FlushScheduler"/> per process), the WebSocket transport and its settings.</summary>
    public static IServiceCollection AddTransport(this IServiceCollection services)
    {
        services.AddOptions<TransportOptions>().BindConfiguration(TransportOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Compression.CompressionOptions>().BindConfiguration(Compression.CompressionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Compression.PerMessageDeflate>();
        services.AddSingleton<FlushScheduler>();
        services.AddSingleton<WebSocketTransport>();
        services.AddSingleton<Broadcast.Server.Transport.RawWebSockets.RawWebSocketTransport>();

        // Kestrel binds TCP endpoints with this one (the last registered transport that can bind an endpoint wins):
        // with the Connection stack, the server owns each socket from accept.
        services.AddSingleton<Microsoft.AspNetCore.Connections.IConnectionListenerFactory, Sockets.BareSocketListenerFactory>();
        services.AddSingleton<Broadcast.Server.Transport.HttpStreaming.ResponseKeepAlive>();
        services.AddSingleton<Broadcast.Server.Transport.HttpStreaming.HttpStreamTransport>();
        services.AddSingleton<Broadcast.Server.Transport.ServerSentEvents.SseTransport>();
        return services;
    }
}
