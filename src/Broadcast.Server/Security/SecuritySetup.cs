using Microsoft.Extensions.Options;

namespace Broadcast.Server.Security;

public static class SecuritySetup
{
    /// <summary>Every decision of the security layer (tokens, permissions, origins, limits, budgets, trusted proxies) and its settings.</summary>
    public static IServiceCollection AddSecurity(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<LimitsOptions>, LimitsOptionsValidator>();
        services.AddOptions<ForwardedHeadersSettings>().BindConfiguration(ForwardedHeadersSettings.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ForwardedHeadersSettings>, ForwardedHeadersSettingsValidator>();
        services.AddSingleton<TrustedProxies>();
        services.AddHttpClient(JwksCache.HttpClientName);
        services.AddSingleton<JwksCache>();
        services.AddHostedService(sp => sp.GetRequiredService<JwksCache>());
        services.AddSingleton<TokenValidator>();
        services.AddSingleton<PrincipalPolicy>();
        services.AddSingleton<ChannelAuthorizer>();
        services.AddSingleton<OriginPolicy>();
        services.AddSingleton<ConnectionLimiter>();
        services.AddSingleton<AddressSocketLimiter>();
        services.AddSingleton<ClientBudgets>();
        return services;
    }
}
