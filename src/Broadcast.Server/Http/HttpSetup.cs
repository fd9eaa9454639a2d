using Microsoft.Extensions.Options;

namespace Broadcast.Server.Http;

public static class HttpSetup
{
    /// <summary>Every HTTP endpoint's services and settings: the web app, the HTTP API (with its CORS policies), the admin API, readiness, the connect check and the API documentation.</summary>
    public static IServiceCollection AddHttpEndpoints(this IServiceCollection services)
    {
        services.AddOptions<WebAppOptions>().BindConfiguration(WebAppOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebAppOptions>, WebAppOptionsValidator>();
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WebAppFiles>();
        services.AddReadinessChecks();
        services.AddApiDocumentation();
        services.AddSingleton<Microsoft.AspNetCore.Cors.Infrastructure.ICorsPolicyProvider, CrossOriginPolicies>();
        services.AddCors();
        services.AddConnectCheck();
        return services;
    }

}
