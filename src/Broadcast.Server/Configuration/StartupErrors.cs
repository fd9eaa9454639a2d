using Microsoft.Extensions.Options;

namespace Broadcast.Server.Configuration;

/// <summary>
/// Turns the exceptions that bad configuration raises at start-up into one clear message naming the key,
/// instead of a stack trace. Anything else is not a configuration error and is left alone.
/// </summary>
public static class StartupErrors
{
    /// <summary>Exit code for bad configuration (EX_CONFIG in sysexits.h): a service manager should not restart on it.</summary>
    public const int ConfigurationExitCode = 78;

    public static string? Describe(Exception exception)
    {
        var problems = new List<string>();
        Collect(exception, problems);
        return problems.Count == 0
            ? null
            : "Invalid configuration; the server did not start:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)) +
              Environment.NewLine + "Every setting is described in docs/configuration.md and by --help.";
    }

    private static void Collect(Exception exception, List<string> problems)
    {
        switch (exception)
        {
            case AggregateException aggregate:
                foreach (var inner in aggregate.InnerExceptions)
                {
                    Collect(inner, problems);
                }

                break;
            case OptionsValidationException validation:
                problems.AddRange(validation.Failures.Select(Unwrap));
                break;
            case InvalidOperationException conversion when conversion.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal):
                // The binder's message already names the key and the value: "... 'abc' at 'Broadcast:MaxMessageBytes' to type ...".
                problems.Add(conversion.Message);
                break;
        }
    }

    /// <summary>Data annotations wrap our messages ("DataAnnotation validation failed for … with the error: '…'."): keep ours.</summary>
    private static string Unwrap(string failure)
    {
        const string Marker = "with the error: '";
        var start = failure.IndexOf(Marker, StringComparison.Ordinal);
        return start < 0 ? failure : failure[(start + Marker.Length)..].TrimEnd('.').TrimEnd('\'');
    }
}
