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
        services.Configure<LoggerFilterOptions>(KeepQueryStringsOutOfLogs);
        return services;
    }

    /// <summary>
    /// ASP.NET Core's hosting log ("Request starting …", Information, and Debug details) writes the full URL
    /// with its query string, which may hold a WebSocket client's <c>access_token</c>. It is written before
    /// any middleware runs, so the token cannot be removed from it: the category is held at Warning whatever
    /// an operator configures. These rules are added after the configuration's, and a later rule of equal
    /// specificity wins; one per provider too, because a provider-specific rule (e.g.
    /// <c>Logging:Console:LogLevel:Default</c>) would otherwise beat a rule that names no provider.
    /// </summary>
    private static void KeepQueryStringsOutOfLogs(LoggerFilterOptions options)
    {
        const string Category = "Microsoft.AspNetCore.Hosting.Diagnostics";
        string?[] providers =
        [
            null,
            typeof(ConsoleLoggerProvider).FullName,
            typeof(Microsoft.Extensions.Logging.Debug.DebugLoggerProvider).FullName,
            typeof(Microsoft.Extensions.Logging.EventSource.EventSourceLoggerProvider).FullName,
        ];
        foreach (var provider in providers)
        {
            options.Rules.Add(new LoggerFilterRule(provider, Category, LogLevel.Warning, filter: null));
        }
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
