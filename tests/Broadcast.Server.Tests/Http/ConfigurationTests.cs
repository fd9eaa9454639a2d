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
    public async Task An_invalid_setting_stops_the_server_and_names_the_key(string variable, string value, string expectedKey)
    {
        await using var server = ServerProcess.Start(new Dictionary<string, string> { [variable] = value });
        var exitCode = await server.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, exitCode);
        Assert.Contains(expectedKey, server.Output, StringComparison.Ordinal);
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
