using System.Text.Json.Serialization;

namespace Broadcast.Server.Backend.Users;

/// <summary>Serializes the commands every node reads (one shape, so no reflection at run time).</summary>
[JsonSerializable(typeof(UserCommand))]
[JsonSerializable(typeof(string))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class UserCommandContext : JsonSerializerContext;
