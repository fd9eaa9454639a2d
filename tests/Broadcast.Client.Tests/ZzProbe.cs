using Broadcast.Testing;
using Xunit.Abstractions;

namespace Broadcast.Client.Tests;

public sealed class ZzProbe(ITestOutputHelper output)
{
    [Fact]
    public async Task Probe()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["Broadcast:Channels:MaxChannelsPerConnection"] = "2" });
        await using var c = await TestClient.ConnectAsync(server.WebSocketUri, o => o.AddSubProtocol("broadcast.v2"));
        await using var d = await TestClient.ConnectAsync(server.WebSocketUri, o => o.AddSubProtocol("broadcast.v2"));
        output.WriteLine("subprotocol: " + c.Socket.SubProtocol);
        async Task Send(TestClient t, string s) { output.WriteLine(">> " + s); await t.SendTextAsync(s); }
        async Task Recv(TestClient t, int n = 1) { for (var i = 0; i < n; i++) { try { output.WriteLine("<< " + (await t.ReceiveAsync(TimeSpan.FromSeconds(2))).Text); } catch (TimeoutException) { output.WriteLine("<< (nothing)"); } } }
        await Send(c, """{"type":"subscribe","id":"x","channel":"a"}"""); await Recv(c);
        await Send(c, """{"type":"hello","name":"ana"}"""); await Recv(c);
        await Send(c, """{"type":"hello"}"""); await Recv(c);
        await Send(d, """{"type":"hello","session":"short"}"""); await Recv(d);
        await Send(d, """{"type":"hello","name":"bo"}"""); await Recv(d);
        await Send(c, """{"type":"subscribe","id":"r1","channel":"room","presence":true}"""); await Recv(c);
        await Send(d, """{"type":"subscribe","id":"r1","channel":"room"}"""); await Recv(d); await Recv(c);
        await Send(d, """{"type":"publish","id":"m1","channel":"room","message":"hi"}"""); await Recv(d); await Recv(c);
        await Send(d, """{"type":"publish","id":"m1","channel":"room","message":"hi"}"""); await Recv(d); await Recv(c);
        await Send(d, """{"type":"publish","channel":"room","message":"no id"}"""); await Recv(d); await Recv(c);
        await Send(c, """{"type":"history","id":"h","channel":"room","since":1,"limit":10}"""); await Recv(c);
        await Send(c, """{"type":"presence","id":"p","channel":"room"}"""); await Recv(c);
        await Send(c, """{"type":"subscribe","id":"r2","channel":"b"}"""); await Recv(c);
        await Send(c, """{"type":"subscribe","id":"r3","channel":"c"}"""); await Recv(c);
        await Send(c, """{"type":"subscribe","id":"r4","channel":"room","since":{"epoch":"nope","offset":1}}"""); await Recv(c);
        await Send(c, """{"type":"subscribe","id":"r5","channel":"room","since":5}"""); await Recv(c);
        await Send(c, """{"type":"unsubscribe","id":"u1","channel":"zzz"}"""); await Recv(c);
        await Send(c, """{"type":"bogus","id":"t"}"""); await Recv(c);
        await Send(c, """{"type":"presence","id":""}"""); await Recv(c);
        await Send(c, """{"type":"publish","id":"e","channel":"room","message":""}"""); await Recv(c);
        await Send(c, """{"type":"publish","id":"e2","channel":"room"}"""); await Recv(c);
        await Send(c, """[1]"""); await Recv(c);
        await Send(c, """{"type":"history","id":"h2","channel":"room","since":-1}"""); await Recv(c);
        await Send(d, """{"type":"unsubscribe","id":"u2","channel":"room"}"""); await Recv(d); await Recv(c);
        await Send(c, """{"type":"subscribe","id":"r6","channel":"room","since":{"epoch":"nope","offset":1}}"""); await Recv(c, 2);
    }
}
