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
    [InlineData("Broadcast__Compression__Enabled", "sometimes", "Broadcast:Compression:Enabled")]
    [InlineData("Broadcast__Compression__MinBytes", "-1", "Broadcast:Compression:MinBytes")]
    [InlineData("Broadcast__Compression__Level", "Hardest", "Broadcast:Compression:Level")]
    [InlineData("Broadcast__Compression__Level", "7", "Broadcast:Compression:Level")]
    [InlineData("Broadcast__Redis__Prefx", "x", "Broadcast:Redis:Prefx")]
    [InlineData("Broadcast__Redis__Configuration", "127.0.0.1:6379,abortConnect=maybe", "Broadcast:Redis:Configuration")]
    [InlineData("Broadcast__Redis__Configuration", "password=secret", "Broadcast:Redis:Configuration")]
    [InlineData("Broadcast__Channels__HistoryTtl", "00:00:00", "Broadcast:Channels:HistoryTtl")]
    [InlineData("Broadcast__Admin__Key", "short", "Broadcast:Admin:Key")]
    [InlineData("Broadcast__Metrics__Enabled", "sometimes", "Broadcast:Metrics:Enabled")]
    [InlineData("Broadcast__Auth__PublicKeyPemFile", "/nonexistent/key.pem", "Broadcast:Auth:PublicKeyPemFile")]
    [InlineData("Broadcast__Limits__AllowedHosts__0", "https://chat.example.com", "Broadcast:Limits:AllowedHosts")]
    [InlineData("Broadcast__Limits__AllowedHosts__0", "chat.example.com:443", "Broadcast:Limits:AllowedHosts")]
    [InlineData("Broadcast__ForwardedHeaders__KnownProxies__0", "nginx.internal", "Broadcast:ForwardedHeaders:KnownProxies")]
    [InlineData("Broadcast__ForwardedHeaders__KnownNetworks__0", "10.0.0.0/33", "Broadcast:ForwardedHeaders:KnownNetworks")]
    [InlineData("Logging__LogLevel__Default", "Verbose", "Logging:LogLevel:Default")]
    [InlineData("Broadcast__Proxy__Publish__Timeout", "00:10:00", "Broadcast:Proxy:Publish:Timeout")]
    [InlineData("Broadcast__Proxy__Connect__Url", "ftp://backend.example/connect", "Broadcast:Proxy:Connect:Url")]
    [InlineData("Broadcast__Proxy__Subscribe__OnFailure", "Maybe", "Broadcast:Proxy:Subscribe:OnFailure")]
    [InlineData("Broadcast__Proxy__Rpc__Retries", "9", "Broadcast:Proxy:Rpc:Retries")]
    [InlineData("Broadcast__Proxy__ForwardHeaders", "Cookie, Bad:Header", "Broadcast:Proxy:ForwardHeaders")]
    [InlineData("Broadcast__Webhooks__Url", "http://backend.example/webhooks", "Broadcast:Webhooks:Secret")]
    [InlineData("Broadcast__Webhooks__Events", "member_added", "Broadcast:Webhooks:Events")]
    [InlineData("Broadcast__Webhooks__MaxBatchSize", "0", "Broadcast:Webhooks:MaxBatchSize")]
    [InlineData("Broadcast__Webhooks__ClaimIdle", "00:00:05", "Broadcast:Webhooks:ClaimIdle")]
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
    public async Task A_public_key_file_that_holds_no_usable_key_or_a_second_key_setting_stops_the_server()
    {
        using var smallRsa = System.Security.Cryptography.RSA.Create(1024);
        var path = Path.Combine(Path.GetTempPath(), $"broadcast-test-{Guid.NewGuid():N}.pem");
        try
        {
            foreach (var (content, expected) in new[]
            {
                ("not a key at all", "does not hold a usable public key"),
                (smallRsa.ExportSubjectPublicKeyInfoPem(), "2048 bits"),
            })
            {
                await File.WriteAllTextAsync(path, content);
                await using var server = ServerProcess.Start(new Dictionary<string, string> { ["Broadcast__Auth__PublicKeyPemFile"] = path });
                Assert.Equal(78, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                Assert.Contains("Broadcast:Auth:PublicKeyPemFile", server.Output, StringComparison.Ordinal);
                Assert.Contains(expected, server.Output, StringComparison.Ordinal);
                Assert.DoesNotContain("   at ", server.Output, StringComparison.Ordinal);
            }

            using var ec = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
            await File.WriteAllTextAsync(path, ec.ExportSubjectPublicKeyInfoPem());
            await using var both = ServerProcess.Start(new Dictionary<string, string>
            {
                ["Broadcast__Auth__PublicKeyPemFile"] = path,
                ["Broadcast__Auth__PublicKeyPem"] = ec.ExportSubjectPublicKeyInfoPem().Replace("\n", "\\n", StringComparison.Ordinal),
            });
            Assert.Equal(78, await both.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("set only one of them", both.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_private_key_given_as_the_public_key_stops_the_server_and_names_the_setting()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        using var ec = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var path = Path.Combine(Path.GetTempPath(), $"broadcast-test-{Guid.NewGuid():N}.pem");
        try
        {
            await File.WriteAllTextAsync(path, ec.ExportECPrivateKeyPem());
            foreach (var (variable, value, key) in new[]
            {
                ("Broadcast__Auth__PublicKeyPem", rsa.ExportPkcs8PrivateKeyPem().Replace("\n", "\\n", StringComparison.Ordinal), "Broadcast:Auth:PublicKeyPem"),
                ("Broadcast__Auth__PublicKeyPem", rsa.ExportRSAPrivateKeyPem().Replace("\n", "\\n", StringComparison.Ordinal), "Broadcast:Auth:PublicKeyPem"),
                ("Broadcast__Auth__PublicKeyPemFile", path, "Broadcast:Auth:PublicKeyPemFile"),
            })
            {
                await using var server = ServerProcess.Start(new Dictionary<string, string> { [variable] = value });
                Assert.Equal(78, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                Assert.Contains(key, server.Output, StringComparison.Ordinal);
                Assert.Contains("private key", server.Output, StringComparison.Ordinal);
                Assert.DoesNotContain("   at ", server.Output, StringComparison.Ordinal);
                // The key itself is never echoed.
                Assert.DoesNotContain("PRIVATE KEY-----", server.Output, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Out_of_the_box_anonymous_clients_get_only_the_default_channel_and_in_Development_every_channel()
    {
        foreach (var (environment, roomAllowed) in new[] { ("Production", false), ("Development", true) })
        {
            await using var server = ServerProcess.Start(new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = environment });
            var address = await server.WaitUntilListeningAsync();
            await using var client = await TestClient.ConnectAsync(new Uri($"ws://{address.Authority}/ws/events"), o => o.AddSubProtocol("broadcast.v2"));
            await client.SendTextAsync("""{"type": "hello"}""");
            Assert.Equal("welcome", (await client.ReceiveJsonAsync()).GetProperty("type").GetString());
            await client.SendTextAsync("""{"type": "subscribe", "id": "e", "channel": "events"}""");
            Assert.Equal("subscribed", (await client.ReceiveJsonAsync()).GetProperty("type").GetString());
            await client.SendTextAsync("""{"type": "subscribe", "id": "r", "channel": "room"}""");
            var reply = await client.ReceiveJsonAsync();
            Assert.Equal((environment, roomAllowed ? "subscribed" : "error"), (environment, reply.GetProperty("type").GetString()));
        }
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
