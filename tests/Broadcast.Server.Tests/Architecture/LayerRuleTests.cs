using System.Reflection;
using NetArchTest.Rules;

namespace Broadcast.Server.Tests.Architecture;

/// <summary>
/// The floor plan of src/Broadcast.Server (docs/architecture.md): each top-level folder is a room (its
/// namespace), and references point one way. Read from the compiled assembly, method bodies included, so a
/// reference against the rule fails here whatever file it is in.
/// </summary>
public sealed class LayerRuleTests
{
    private const string Root = "Broadcast.Server";

    private static readonly Assembly Server = typeof(BroadcastServer).Assembly;

    /// <summary>The composition (the root's files and Configuration/): it may use anything, and nothing may use it.</summary>
    private static readonly string[] Composition =
    [
        $"{Root}.Configuration",
        typeof(BroadcastServer).FullName!,
        $"{Root}.ServerLog",
    ];

    private static string Room(string name) => $"{Root}.{name}";

    public static TheoryData<string, string, string[]> Rules => new()
    {
        // Bytes and frames on one socket: nothing of the application.
        { "Transport", @"^Broadcast\.Server\.Transport(\..+)?$", [Room("Security"), Room("Engines"), Room("Channels"), Room("Connections"), Room("Protocol"), Room("Backend"), Room("Http"), Room("Diagnostics")] },
        // Decisions only: nothing of the application.
        { "Security", @"^Broadcast\.Server\.Security$", [Room("Transport"), Room("Engines"), Room("Channels"), Room("Connections"), Room("Protocol"), Room("Backend"), Room("Http"), Room("Diagnostics")] },
        // The engine contract: none of the engines, nothing of the application.
        { "Engines (contract)", @"^Broadcast\.Server\.Engines$", [Room("Engines.Memory"), Room("Engines.Redis"), Room("Transport"), Room("Security"), Room("Channels"), Room("Connections"), Room("Protocol"), Room("Backend"), Room("Http"), Room("Diagnostics")] },
        // Each engine uses the contract only.
        { "Engines.Memory", @"^Broadcast\.Server\.Engines\.Memory$", [Room("Engines.Redis"), Room("Transport"), Room("Security"), Room("Channels"), Room("Connections"), Room("Protocol"), Room("Backend"), Room("Http"), Room("Diagnostics")] },
        { "Engines.Redis", @"^Broadcast\.Server\.Engines\.Redis$", [Room("Engines.Memory"), Room("Transport"), Room("Security"), Room("Channels"), Room("Connections"), Room("Protocol"), Room("Backend"), Room("Http"), Room("Diagnostics")] },
        // Node-local fan-out: the engine contract, the transport's interfaces, and (below) one type of Security.
        { "Channels", @"^Broadcast\.Server\.Channels$", [Room("Engines.Memory"), Room("Engines.Redis"), Room("Connections"), Room("Protocol"), Room("Backend"), Room("Http"), Room("Diagnostics")] },
        // One client's life: the transport, the channels, security; no engine, no dialect.
        { "Connections", @"^Broadcast\.Server\.Connections$", [Room("Engines"), Room("Protocol"), Room("Backend"), Room("Http"), Room("Diagnostics")] },
        // The dialects: connections, channels, security, the engine contract, the transport; never an engine itself.
        { "Protocol", @"^Broadcast\.Server\.Protocol(\..+)?$", [Room("Engines.Memory"), Room("Engines.Redis"), Room("Backend"), Room("Http"), Room("Diagnostics")] },
        // One dialect never leans on the other: each is replaceable on its own.
        { "Protocol.Legacy", @"^Broadcast\.Server\.Protocol\.Legacy$", [Room("Protocol.V2")] },
        { "Protocol.V2", @"^Broadcast\.Server\.Protocol\.V2$", [Room("Protocol.Legacy")] },
        // The application's backend (proxies, webhooks, user actions): above the dialects, below the endpoints and metrics.
        { "Backend", @"^Broadcast\.Server\.Backend(\..+)?$", [Room("Engines.Memory"), Room("Engines.Redis"), Room("Http"), Room("Diagnostics")] },
        // Metrics and background reporting may observe anything but the HTTP endpoints (which read them).
        { "Diagnostics", @"^Broadcast\.Server\.Diagnostics$", [Room("Http")] },
        // Every HTTP endpoint may use anything.
        { "Http", @"^Broadcast\.Server\.Http$", [] },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void A_room_names_only_the_rooms_the_rule_allows_and_never_the_composition(string room, string namespacePattern, string[] forbidden)
    {
        var types = Types.InAssembly(Server).That().ResideInNamespaceMatching(namespacePattern);
        Assert.NotEmpty(types.GetTypes());

        var result = types.Should().NotHaveDependencyOnAny([.. forbidden, .. Composition]).GetResult();

        Assert.True(result.IsSuccessful, $"{room} names a room it may not: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void The_channel_layer_uses_nothing_of_security_but_its_channel_patterns()
    {
        var security = Server.GetTypes()
            .Where(type => type.Namespace == $"{Root}.Security" && !type.IsNested && type != typeof(Broadcast.Server.Security.ChannelPatterns))
            .Select(type => type.FullName!)
            .ToArray();
        Assert.NotEmpty(security);

        var result = Types.InAssembly(Server).That().ResideInNamespaceMatching(@"^Broadcast\.Server\.Channels$")
            .Should().NotHaveDependencyOnAny(security).GetResult();

        Assert.True(result.IsSuccessful, $"Channels uses more of Security than ChannelPatterns: {string.Join(", ", result.FailingTypeNames ?? [])}");
    }

    [Fact]
    public void Every_type_of_the_server_is_in_a_room_the_rule_knows()
    {
        string[] rooms = ["Transport", "Security", "Engines", "Channels", "Connections", "Protocol", "Backend", "Http", "Diagnostics", "Configuration"];
        var homeless = Server.GetTypes()
            .Where(type => !type.IsNested && type.Namespace is { } ns && ns.StartsWith(Root + ".", StringComparison.Ordinal))
            .Where(type => !rooms.Any(room => type.Namespace == $"{Root}.{room}" || type.Namespace!.StartsWith($"{Root}.{room}.", StringComparison.Ordinal)))
            .Select(type => type.FullName)
            .ToList();

        Assert.True(homeless.Count == 0, $"Types outside every room (add the room to the rule and docs/architecture.md): {string.Join(", ", homeless)}");
    }
}
