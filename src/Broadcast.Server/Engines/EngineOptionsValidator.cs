using Microsoft.Extensions.Options;

namespace Broadcast.Server.Engines;

/// <summary><c>Broadcast:Engine</c> must name an engine (the binder accepts any number for an enum).</summary>
internal sealed class EngineOptionsValidator : IValidateOptions<EngineOptions>
{
    public ValidateOptionsResult Validate(string? name, EngineOptions options) =>
        Enum.IsDefined(options.Engine) ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail("Broadcast:Engine must be Memory or Redis.");
}
