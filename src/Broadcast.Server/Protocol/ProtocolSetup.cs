using Broadcast.Server.Connections;
using Broadcast.Server.Protocol.Legacy;
using Broadcast.Server.Protocol.V2;

namespace Broadcast.Server.Protocol;

public static class ProtocolSetup
{
    /// <summary>Both dialects (the original protocol and <c>broadcast.v2</c>), their encodings and the publish gate they share.</summary>
    public static IServiceCollection AddProtocol(this IServiceCollection services)
    {
        services.AddSingleton<PublishGate>();
        services.AddSingleton<LegacyEncoding>();
        services.AddSingleton<V2Encoding>();
        services.AddSingleton<IClientDialect, LegacyDialect>();
        services.AddSingleton<IClientDialect, V2Dialect>();
        return services;
    }
}
