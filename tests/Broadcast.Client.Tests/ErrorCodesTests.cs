using System.Reflection;
using Broadcast.Server.Protocol;

namespace Broadcast.Client.Tests;

/// <summary>The client's error codes mirror the server's list exactly, so none can drift.</summary>
public sealed class ErrorCodesTests
{
    [Fact]
    public void Every_server_error_code_is_mirrored_by_the_client_and_no_other()
    {
        var client = typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name is not (nameof(ErrorCodes.MessageTooBig) or nameof(ErrorCodes.ConnectionLost)))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal);
        var server = ProtocolErrors.All.Select(e => e.Code).Order(StringComparer.Ordinal);
        Assert.Equal(server, client);
    }
}
