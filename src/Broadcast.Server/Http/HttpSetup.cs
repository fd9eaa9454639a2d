using Microsoft.Extensions.Options;

namespace Broadcast.Server.Http;

public static class HttpSetup
{
    /// <summary>Every HTTP endpoint's services and settings: the web app, the HTTP API, the admin API, readiness and the API documentation.</summary>
    public static IServiceCollection AddHttpEndpoints(this IServiceCollection services)
    {
        services.AddOptions<WebAppOptions>().BindConfiguration(WebAppOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebAppOptions>, WebAppOptionsValidator>();
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WebAppFiles>();
        services.AddReadinessChecks();
        services.AddApiDocumentation();
        return services;
    }

}
