using System.Text.Json.Serialization;

namespace Broadcast.Server.Engines.Redis;

/// <summary>Serializes node reports stored in Redis.</summary>
[JsonSerializable(typeof(NodeReport))]
internal sealed partial class NodeReportContext : JsonSerializerContext;
