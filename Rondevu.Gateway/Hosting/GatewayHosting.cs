using System.Security.Cryptography;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Rondevu.Gateway.Auth;
using Rondevu.Gateway.Configuration;
using Rondevu.Gateway.Http;
using Rondevu.Grains;

namespace Rondevu.Gateway.Hosting;

public static class GatewayHosting
{
    /// <summary>Binds and validates the original's environment variables; invalid values stop the process at start.</summary>
    public static WebApplicationBuilder AddRondevuSettings(this WebApplicationBuilder builder)
    {
        builder.Services.AddRondevuOptions(builder.Configuration);
        builder.Services.AddOptions<OrleansSettings>()
            .BindConfiguration(OrleansSettings.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<GatewaySettings>().Bind(builder.Configuration).ValidateOnStart()
            .PostConfigure<IOptions<OrleansSettings>, ILogger<GatewaySettings>>((options, orleans, logger) =>
            {
                if (string.IsNullOrEmpty(options.AuthSecret) && orleans.Value.Clustering == ClusteringMode.Localhost)
                {
                    options.AuthSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
                    logger.LogWarning("AUTH_SECRET is not set: using a random key, so credentials die with this process");
                }
            });
        builder.Services.AddSingleton<IValidateOptions<GatewaySettings>, GatewaySettingsValidator>();
        builder.Services.AddSingleton(sp => ServiceVersion.From(sp.GetRequiredService<IOptions<GatewaySettings>>().Value.Version));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<LongPoll>();

        // Kestrel's address is chosen before the host is built; HOST and PORT are validated at start, before it binds.
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            var defaults = new GatewaySettings();
            builder.WebHost.UseUrls($"http://{builder.Configuration["HOST"] ?? defaults.Host}:{builder.Configuration["PORT"] ?? defaults.Port.ToString()}");
        }
        return builder;
    }

    /// <summary>Single process: co-host one silo in memory. Cluster: join the silos as a client through PostgreSQL.</summary>
    public static WebApplicationBuilder AddRondevuOrleans(this WebApplicationBuilder builder)
    {
        // Hosting a silo or being a client is decided before the container exists, so the clustering mode is read
        // here, once; ports and ids come from the validated OrleansSettings options (AddRondevuSettings).
        var clustering = builder.Configuration.GetSection(OrleansSettings.Section).GetValue(OrleansSettings.ClusteringKey, ClusteringMode.Localhost);
        if (clustering == ClusteringMode.Localhost)
        {
            builder.UseOrleans(silo => silo
                .UseLocalhostClustering()
                .AddRondevuInMemoryOffers()
                .UseInMemoryReminderService()
                // One silo owns the whole directory: a cache in front of it only holds an entry per grain ever seen.
                .Configure<GrainDirectoryOptions>(options => options.CachingStrategy = GrainDirectoryOptions.CachingStrategyType.None)
                .AddRondevuGrains(builder.Configuration));
            // After UseLocalhostClustering's defaults; its primary silo endpoint is read from these EndpointOptions.
            builder.Services.AddOptions<EndpointOptions>().Configure<IOptions<OrleansSettings>>((endpoints, orleans) =>
                (endpoints.SiloPort, endpoints.GatewayPort) = (orleans.Value.SiloPort, orleans.Value.GatewayPort));
        }
        else
        {
            var connectionString = builder.Configuration.GetConnectionString("Postgres");
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException("ConnectionStrings:Postgres (env ConnectionStrings__Postgres) is required when Orleans:ClusteringProvider is Postgres");
            }
            builder.UseOrleansClient(client => client.UseAdoNetClustering(options =>
            {
                options.Invariant = "Npgsql";
                options.ConnectionString = connectionString;
            }));
            builder.Services.AddSingleton<IClientConnectionRetryFilter, RetryUntilSilosAnswer>();
            builder.AddRondevuDatabaseReadiness(connectionString);
        }
        builder.Services.AddOptions<ClusterOptions>().Configure<IOptions<OrleansSettings>>((cluster, orleans) =>
            (cluster.ClusterId, cluster.ServiceId) = (orleans.Value.ClusterId, orleans.Value.ServiceId));
        return builder;
    }

    public static WebApplicationBuilder AddRondevuCredentials(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(sp =>
            new CredentialCipher(Convert.FromHexString(sp.GetRequiredService<IOptions<GatewaySettings>>().Value.AuthSecret!)));
        // The core services, not AddAuthentication: that also starts ASP.NET's Data Protection, which reads (or
        // writes) an XML key ring at every start and stays in memory, while credentials here are sealed with AUTH_SECRET.
        builder.Services.AddAuthenticationCore(options =>
        {
            options.DefaultScheme = BearerCredentialHandler.SchemeName;
            options.AddScheme<BearerCredentialHandler>(BearerCredentialHandler.SchemeName, displayName: null);
        });
        // Every request authenticates (the default scheme) with a new handler; registered, DI builds it from a compiled
        // factory instead of ASP.NET's reflection fallback (1.2% of the single process's CPU under handshakes, perf).
        builder.Services.AddTransient<BearerCredentialHandler>();
        builder.Services.AddWebEncoders();
        builder.Services.AddAuthorization();
        return builder;
    }

    /// <summary>JSON as the original writes it (camelCase, absent fields omitted) and CORS for browsers.</summary>
    public static WebApplicationBuilder AddRondevuHttp(this WebApplicationBuilder builder)
    {
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, ResponseJson.Default);
        });
        builder.Services.AddCors();
        builder.Services.AddOptions<CorsOptions>().Configure<IOptions<GatewaySettings>>((cors, gateway) =>
            cors.AddDefaultPolicy(policy =>
            {
                var origins = gateway.Value.AllowedOrigins;
                if (origins.Contains("*"))
                {
                    policy.AllowAnyOrigin();
                }
                else
                {
                    policy.WithOrigins(origins);
                }
                policy.WithMethods("GET", "POST", "PUT", "DELETE", "OPTIONS")
                    .WithHeaders("Content-Type", "Origin", "Authorization")
                    .SetPreflightMaxAge(TimeSpan.FromSeconds(600));
            }));
        return builder;
    }

    /// <summary>A gateway may start before any silo: keep trying rather than exit.</summary>
    private sealed class RetryUntilSilosAnswer(ILogger<RetryUntilSilosAnswer> logger) : IClientConnectionRetryFilter
    {
        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            logger.LogWarning("No silo reachable yet ({Message}); retrying", exception.Message);
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            return true;
        }
    }
}
