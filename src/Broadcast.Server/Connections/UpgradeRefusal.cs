namespace Broadcast.Server.Connections;

/// <summary>
/// Why an upgrade is refused, as its HTTP answer: the status, <c>{"error", "code"}</c>, and for the limits
/// <c>Retry-After</c>. The upgrade answers it; <c>/api/connect-check</c> answers the same for the same request.
/// </summary>
/// <param name="RetryAfterSeconds">Sent as <c>Retry-After</c> when not null: retrying later can succeed.</param>
/// <param name="CloseConnection">Close the TCP connection after the answer (near the descriptor limit, every refused client kept alive holds one).</param>
public sealed record UpgradeRefusal(int Status, string Code, string Error, int? RetryAfterSeconds = null, bool CloseConnection = false)
{
    /// <summary>Writes the refusal as the answer to <paramref name="context"/>'s request.</summary>
    public Task WriteAsync(HttpContext context)
    {
        context.Response.StatusCode = Status;
        if (RetryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (CloseConnection)
        {
            context.Response.Headers.Connection = "close";
        }

        return context.Response.WriteAsJsonAsync(new { error = Error, code = Code });
    }
}
