using System.ComponentModel.DataAnnotations;
using Broadcast.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Broadcast.Server.Diagnostics;

/// <summary>
/// Validates the operations sections (<c>Broadcast:Admin</c>, <c>Broadcast:Metrics</c>) at start-up:
/// data annotations do not recurse into nested sections. Runs beside <see cref="BroadcastOptionsValidator"/>.
/// </summary>
internal sealed class OperationsOptionsValidator : IValidateOptions<BroadcastOptions>
{
    public ValidateOptionsResult Validate(string? name, BroadcastOptions options)
    {
        var failures = new List<string>();
        foreach (object section in new object[] { options.Admin, options.Metrics })
        {
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(section, new ValidationContext(section), results, validateAllProperties: true))
            {
                failures.AddRange(results.Select(r => r.ErrorMessage ?? "invalid setting"));
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
