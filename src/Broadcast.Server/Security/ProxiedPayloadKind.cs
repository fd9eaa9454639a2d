namespace Broadcast.Server.Security;

/// <summary>What a publish sent to the publish proxy carries: the proxy request's <c>payload</c> field.</summary>
public enum ProxiedPayloadKind
{
    /// <summary>A message string; its bytes are escaped JSON string content, without quotes.</summary>
    Message,

    /// <summary>Any JSON value, as its publisher wrote it.</summary>
    Data,

    /// <summary>Binary; the raw bytes (base64 in the proxy's JSON).</summary>
    Bytes,
}
