using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;

namespace Broadcast.Server.Configuration;

/// <summary>
/// Every setting the server reads, found by reflection over each component's options class (so a new option
/// cannot be forgotten), plus the host's own settings it relies on. Feeds <c>--help</c>, start-up error
/// messages and the test that keeps docs/configuration.md complete.
/// </summary>
public static class OptionsCatalog
{
    /// <summary>The configuration section every setting of the server is under.</summary>
    public const string SectionName = "Broadcast";

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

    /// <summary>
    /// Every options class a component binds, with the section it binds: each class says which with its
    /// <c>Section</c> constant, and is found here by reflection, so a new one cannot be left out of --help,
    /// docs/configuration.md's test or the unknown-key check. Several classes share <c>Broadcast</c> (its root
    /// keys), and <c>Broadcast:Channels</c> is read by the channel layer and by the engines. Root keys first.
    /// </summary>
    public static IReadOnlyList<(string Section, Type Options)> Sections { get; } =
    [
        .. typeof(OptionsCatalog).Assembly.GetTypes()
            .Select(type => (Section: type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field ? (string?)field.GetRawConstantValue() : null, Options: type))
            .Where(entry => entry.Section is not null && entry.Section.StartsWith(SectionName, StringComparison.Ordinal))
            .Select(entry => (entry.Section!, entry.Options))
            .OrderBy(entry => entry.Item1.Length > SectionName.Length)
            .ThenBy(entry => entry.Item1, StringComparer.Ordinal)
            .ThenBy(entry => entry.Options.Name, StringComparer.Ordinal),
    ];

    /// <summary>Every key of the <c>Broadcast</c> section, in the order of <see cref="Sections"/>.</summary>
    public static IReadOnlyList<OptionInfo> BroadcastOptions { get; } =
        [.. Sections.SelectMany(section => Walk(section.Options, Activator.CreateInstance(section.Options)!, section.Section))];

    public static IReadOnlyList<OptionInfo> All { get; } = [.. BroadcastOptions, .. HostOptions];

    private static IEnumerable<OptionInfo> Walk(Type type, object defaults, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var key = prefix + ":" + property.Name;
            var value = property.GetValue(defaults);
            yield return new OptionInfo(key, OptionInfo.EnvironmentVariableFor(key), FormatDefault(value), RangeOf(property));
        }
    }

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
