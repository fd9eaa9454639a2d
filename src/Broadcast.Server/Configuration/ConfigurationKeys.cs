using Microsoft.Extensions.Options;

namespace Broadcast.Server.Configuration;

/// <summary>
/// Refuses settings under <c>Broadcast</c> that no component reads: a misspelt key would otherwise be
/// ignored without a word and its default used. Components bind their own sections (several share the
/// root), so no single binder can tell; the catalog of every component's keys can.
/// </summary>
public static class ConfigurationKeys
{
    /// <summary>Throws <see cref="OptionsValidationException"/> naming every unknown key.</summary>
    public static void Validate(IConfiguration configuration)
    {
        var known = OptionsCatalog.BroadcastOptions.Select(option => option.Key).ToArray();
        var unknown = new List<string>();
        foreach (var (key, value) in configuration.GetSection(OptionsCatalog.SectionName).AsEnumerable())
        {
            // Sections (null values) are judged by their keys; list entries (AllowedHosts:0) belong to their setting.
            if (value is null || known.Any(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase) || key.StartsWith(k + ":", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            unknown.Add($"Unknown setting {key} (a misspelt key?)");
        }

        if (unknown.Count > 0)
        {
            throw new OptionsValidationException(OptionsCatalog.SectionName, typeof(ConfigurationKeys), unknown);
        }
    }

    /// <summary>
    /// Binds and validates every component's settings now, before the host starts (which would log a stack
    /// trace), and throws one <see cref="OptionsValidationException"/> naming every problem found.
    /// </summary>
    public static void ValidateAll(IServiceProvider services)
    {
        var failures = new List<string>();
        foreach (var (_, options) in OptionsCatalog.Sections)
        {
            try
            {
                var accessor = services.GetRequiredService(typeof(IOptions<>).MakeGenericType(options));
                _ = accessor.GetType().GetProperty(nameof(IOptions<object>.Value))!.GetValue(accessor);
            }
            catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is OptionsValidationException invalid)
            {
                failures.AddRange(invalid.Failures);
            }
            catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is not null)
            {
                // A value that does not convert: the binder's message names the key.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(OptionsCatalog.SectionName, typeof(ConfigurationKeys), failures);
        }
    }
}
