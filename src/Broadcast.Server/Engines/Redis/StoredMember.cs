using System.Text.Json.Serialization;

namespace Broadcast.Server.Engines.Redis;

/// <summary>A presence member as stored in Redis (short names: it is stored once per subscription).</summary>
internal sealed record StoredMember(string K, string S, string? N, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? U = null);

[JsonSerializable(typeof(StoredMember))]
internal sealed partial class StoredMemberContext : JsonSerializerContext;
