using Broadcast.Server.Connections;
using Broadcast.Server.Protocol.Legacy;
using Broadcast.Server.Protocol.MessagePack;
using Broadcast.Server.Protocol.V2;

namespace Broadcast.Server.Protocol;

public static class ProtocolSetup
{
    /// <summary>Every dialect (the original protocol, <c>broadcast.v2</c> and <c>broadcast.v2.msgpack</c>), their encodings and the publish gate they share.</summary>
    public static IServiceCollection AddProtocol(this IServiceCollection services)
    {
        services.AddSingleton<PublishGate>();
        services.AddSingleton<LegacyEncoding>();
        services.AddSingleton<V2Encoding>();
        services.AddSingleton<IClientDialect, LegacyDialect>();
        services.AddSingleton<V2Dialect>();
        services.AddSingleton<IClientDialect>(provider => provider.GetRequiredService<V2Dialect>());
        services.AddSingleton<MessagePackEncoding>();
        services.AddSingleton<IClientDialect, MessagePackDialect>();
        return services;
    }
}
