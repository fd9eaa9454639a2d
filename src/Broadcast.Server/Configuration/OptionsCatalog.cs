using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;

namespace Broadcast.Server.Configuration;

/// <summary>
/// Every setting the server reads, found by reflection over <see cref="BroadcastOptions"/> (so a new option
/// cannot be forgotten), plus the host's own settings it relies on. Feeds <c>--help</c>, start-up error
/// messages and the test that keeps docs/configuration.md complete.
/// </summary>
public static class OptionsCatalog
{
    /// <summary>Host settings that are not part of the <c>Broadcast</c> section; ranges are described in the docs.</summary>
    private static readonly OptionInfo[] HostOptions =
    [
        new("urls", "ASPNETCORE_URLS", BroadcastServer.DefaultUrl, null),
        new("Logging:LogLevel:Default", "Logging__LogLevel__Default", "Information", "Trace, Debug, Information, Warning, Error, Critical, None"),
        new("Logging:LogLevel:Microsoft.AspNetCore", "Logging__LogLevel__Microsoft.AspNetCore", "Warning", "Trace, Debug, Information, Warning, Error, Critical, None"),
        new("Logging:Console:FormatterName", "Logging__Console__FormatterName", "simple", "simple, json, systemd"),
        new("Logging:Console:FormatterOptions:SingleLine", "Logging__Console__FormatterOptions__SingleLine", "true", "true, false"),
        new("Logging:Console:FormatterOptions:UseUtcTimestamp", "Logging__Console__FormatterOptions__UseUtcTimestamp", "true", "true, false"),
        new("Logging:Console:FormatterOptions:TimestampFormat", "Logging__Console__FormatterOptions__TimestampFormat", "yyyy-MM-ddTHH:mm:ss.fffZ", null),
    ];

    public static IReadOnlyList<OptionInfo> BroadcastOptions { get; } = [.. Walk(typeof(BroadcastOptions), new BroadcastOptions(), Configuration.BroadcastOptions.SectionName)];

    public static IReadOnlyList<OptionInfo> All { get; } = [.. BroadcastOptions, .. HostOptions];

    /// <summary>The configuration path of an options section type, e.g. <c>Broadcast:Redis</c> for the Redis options.</summary>
    public static string? SectionOf(string typeFullName) => Sections.Value.GetValueOrDefault(typeFullName);

    private static readonly Lazy<Dictionary<string, string>> Sections = new(() =>
    {
        var sections = new Dictionary<string, string>(StringComparer.Ordinal) { [typeof(BroadcastOptions).FullName!] = Configuration.BroadcastOptions.SectionName };
        foreach (var property in typeof(BroadcastOptions).GetProperties().Where(p => IsSection(p.PropertyType)))
        {
            sections[property.PropertyType.FullName!] = Configuration.BroadcastOptions.SectionName + ":" + property.Name;
        }

        return sections;
    });

    private static IEnumerable<OptionInfo> Walk(Type type, object defaults, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var key = prefix + ":" + property.Name;
            var value = property.GetValue(defaults);
            if (IsSection(property.PropertyType))
            {
                foreach (var option in Walk(property.PropertyType, value!, key))
                {
                    yield return option;
                }

                continue;
            }

            yield return new OptionInfo(key, OptionInfo.EnvironmentVariableFor(key), FormatDefault(value), RangeOf(property));
        }
    }

    private static bool IsSection(Type type) => type.IsClass && type != typeof(string) && type.Namespace?.StartsWith("Broadcast.Server", StringComparison.Ordinal) == true;

    private static string FormatDefault(object? value) => value switch
    {
        null => "(none)",
        bool flag => flag ? "true" : "false",
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        string[] { Length: 0 } => "(none)",
        string[] list => string.Join(", ", list),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string? RangeOf(PropertyInfo property)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (property.GetCustomAttribute<RangeAttribute>() is { } range)
        {
            return type == typeof(TimeSpan)
                ? $"{range.Minimum} to {range.Maximum}"
                : $"{Convert.ToInt64(range.Minimum, CultureInfo.InvariantCulture).ToString("N0", CultureInfo.InvariantCulture)} to {Convert.ToInt64(range.Maximum, CultureInfo.InvariantCulture).ToString("N0", CultureInfo.InvariantCulture)}";
        }

        if (property.GetCustomAttribute<MinLengthAttribute>() is { } minLength)
        {
            return $"at least {minLength.Length} characters";
        }

        if (property.GetCustomAttribute<RegularExpressionAttribute>() is { } pattern)
        {
            return $"matches {pattern.Pattern}";
        }

        if (type.IsEnum)
        {
            return string.Join(", ", Enum.GetNames(type));
        }

        return type == typeof(bool) ? "true, false" : null;
    }
}
