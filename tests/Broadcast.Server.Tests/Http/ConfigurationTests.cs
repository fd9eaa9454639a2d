using Broadcast.Testing;

namespace Broadcast.Server.Tests.Http;

/// <summary>A bad setting stops start-up with a message that names its key.</summary>
public sealed class ConfigurationTests
{
    [Theory]
    [InlineData("Broadcast__MaxMessageBytes", "0", "Broadcast:MaxMessageBytes")]
    [InlineData("Broadcast__OutboundQueueCapacity", "-5", "Broadcast:OutboundQueueCapacity")]
    [InlineData("Broadcast__KeepAliveTimeout", "00:00:00", "Broadcast:KeepAliveTimeout")]
    [InlineData("Broadcast__MaxMesageBytes", "100", "MaxMesageBytes")]
    [InlineData("Broadcast__WebAppPath", "/nonexistent/webapp", "Broadcast:WebAppPath")]
    [InlineData("Broadcast__MaxMessageBytes", "lots", "Broadcast:MaxMessageBytes")]
    [InlineData("Broadcast__Engine", "Mongo", "Broadcast:Engine")]
    [InlineData("Broadcast__Redis__Prefx", "x", "Broadcast:Redis:Prefx")]
    [InlineData("Broadcast__Channels__HistoryTtl", "00:00:00", "Broadcast:Channels:HistoryTtl")]
    [InlineData("Broadcast__Admin__Key", "short", "Broadcast:Admin:Key")]
    [InlineData("Broadcast__Metrics__Enabled", "sometimes", "Broadcast:Metrics:Enabled")]
    [InlineData("Logging__LogLevel__Default", "Verbose", "Logging:LogLevel:Default")]
    [InlineData("Logging__Console__FormatterName", "xml", "Logging:Console:FormatterName")]
    public async Task An_invalid_setting_stops_the_server_and_names_the_key(string variable, string value, string expectedKey)
    {
        await using var server = ServerProcess.Start(new Dictionary<string, string> { [variable] = value });
        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(60));
        // EX_CONFIG, so a service manager does not restart the server in a loop.
        Assert.Equal(78, exitCode);
        Assert.Contains(expectedKey, server.Output, StringComparison.Ordinal);
        // A message for a person, not a stack trace.
        Assert.DoesNotContain("   at ", server.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Valid_settings_from_environment_variables_take_effect()
    {
        await using var server = ServerProcess.Start(new Dictionary<string, string> { ["Broadcast__MaxMessageBytes"] = "100" });
        var address = await server.WaitUntilListeningAsync();
        await using var client = await TestClient.ConnectAsync(new Uri($"ws://{address.Authority}/ws/events"));
        await client.SendMessageAsync(new string('x', 100));
        var (close, _) = await client.ReceiveUntilCloseAsync();
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.MessageTooBig, close.CloseStatus);
    }
}
