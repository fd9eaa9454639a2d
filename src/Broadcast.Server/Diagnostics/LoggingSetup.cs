using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Diagnostics;

/// <summary>
/// Console logs an operator can use: one line per event (appsettings.json sets <c>SingleLine</c>), UTC
/// ISO-8601 timestamps, and JSON with <c>Logging:Console:FormatterName=json</c>. The logging settings are
/// checked before the host is built, so a typo names its key instead of failing somewhere inside logging.
/// </summary>
internal static class LoggingSetup
{
    private const string TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
    private static readonly string[] Formatters = [ConsoleFormatterNames.Simple, ConsoleFormatterNames.Json, ConsoleFormatterNames.Systemd];

    public static IServiceCollection AddBroadcastLogging(this IServiceCollection services)
    {
        // Defaults only: an explicit Logging:Console:FormatterOptions:TimestampFormat wins. The simple
        // format needs a space before the level; a JSON value must not end with one.
        services.PostConfigure<SimpleConsoleFormatterOptions>(options => options.TimestampFormat ??= TimestampFormat + " ");
        services.PostConfigure<JsonConsoleFormatterOptions>(options => options.TimestampFormat ??= TimestampFormat);
        return services;
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> naming every logging key whose value cannot work.</summary>
    public static void Validate(IConfiguration configuration)
    {
        var failures = new List<string>();
        foreach (var (key, value) in configuration.GetSection("Logging").AsEnumerable())
        {
            if (value is null)
            {
                continue;
            }

            var segments = key.Split(':');
            // Logging:LogLevel:Category and Logging:Provider:LogLevel:Category, as the logging library reads them.
            if (segments.Length >= 3 && segments[^2].Equals("LogLevel", StringComparison.OrdinalIgnoreCase) && !Enum.TryParse<LogLevel>(value, ignoreCase: true, out _))
            {
                failures.Add($"{key} is '{value}', which is not a log level (Trace, Debug, Information, Warning, Error, Critical, None).");
            }
        }

        if (configuration["Logging:Console:FormatterName"] is { Length: > 0 } formatter && !Formatters.Contains(formatter, StringComparer.OrdinalIgnoreCase))
        {
            failures.Add($"Logging:Console:FormatterName is '{formatter}'; it must be simple, json or systemd.");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException("Logging", typeof(LoggerFilterOptions), failures);
        }
    }
}
