using System.Text.Json;

namespace Broadcast.Server.Tests.Backend;

/// <summary>One webhook event a <see cref="WebhookReceiver"/> got, with the node that sent it (<c>X-Broadcast-Node</c>).</summary>
internal sealed record ReceivedEvent(string Id, string Type, string Channel, JsonElement Json, string Node);
