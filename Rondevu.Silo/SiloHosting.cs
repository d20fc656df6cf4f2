using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Dashboard;
using Rondevu.Grains;
using Rondevu.ServiceDefaults;
using Rondevu.Silo.Database;

namespace Rondevu.Silo;

/// <summary>The silo process's own settings (section <c>Silo</c>).</summary>
public sealed class SiloHostOptions
{
    public const string Section = "Silo";

    /// <summary>Port of /health, /metrics and the dashboard; 0: no HTTP listener at all.</summary>
    [Range(0, 65535, ErrorMessage = "Silo:HttpPort must be from 0 to 65535.")] public int HttpPort { get; set; }

    [Required(ErrorMessage = "Silo:HttpHost must name an interface.")] public string HttpHost { get; set; } = "127.0.0.1";

    /// <summary>Serve the Orleans dashboard at <c>/dashboard</c> on <see cref="HttpPort"/>.</summary>
    public bool Dashboard { get; set; }

    /// <summary>How long a stopping silo (SIGTERM, Ctrl+C) may take to hand its grains over before it just exits.</summary>
    [Range(1, 3600, ErrorMessage = "Silo:ShutdownTimeoutSeconds must be from 1 to 3600.")] public int ShutdownTimeoutSeconds { get; set; } = 30;
}

/// <summary>The database settings (section <c>Database</c>).</summary>
public sealed class DatabaseOptions
{
    /// <summary>Apply the schema before the silo starts (safe with several silos at once).</summary>
    public bool ApplySchema { get; set; }
}

public static class SiloHosting
{
    /// <summary>The grains on the providers configuration chose (see <see cref="SiloConfiguration"/>).</summary>
    public static WebApplicationBuilder AddRondevuSilo(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SiloHostOptions>().BindConfiguration(SiloHostOptions.Section).ValidateDataAnnotations()
            .Validate(o => !o.Dashboard || o.HttpPort > 0, "Silo:Dashboard=true needs Silo:HttpPort: the dashboard is served on the silo's HTTP port.")
            .ValidateOnStart();
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration("Database");

        // The two switches below shape the host itself, so they are read before it is built; their options validate at start.
        var httpPort = builder.Configuration.GetValue<int>("Silo:HttpPort");
        builder.UseOrleans(silo =>
        {
            silo.AddRondevuGrains(builder.Configuration);
            if (builder.Configuration.GetValue<bool>("Silo:Dashboard"))
            {
                silo.AddDashboard();
            }
        });

        // SIGTERM (docker stop, systemd, Kubernetes) and Ctrl+C stop the host, which stops the silo gracefully:
        // it leaves the membership table as ShuttingDown then Dead, deactivates its grains (their state is
        // already written: every acknowledged write is) and hands its reminders to the remaining silos. Past this
        // timeout the stop is cut short and the others notice the silo is gone as they would after a crash.
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<SiloHostOptions>>((host, silo) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(silo.Value.ShutdownTimeoutSeconds));

        builder.Services.AddHealthChecks().AddCheck<ActiveInClusterCheck>("silo", tags: [HostingDefaults.ReadyTag]);
        if (httpPort > 0)
        {
            builder.WebHost.UseUrls($"http://{builder.Configuration["Silo:HttpHost"] ?? new SiloHostOptions().HttpHost}:{httpPort}");
        }
        else
        {
            builder.Services.AddSingleton<IServer, NoHttpServer>();
        }
        return builder;
    }

    public static WebApplication MapSiloEndpoints(this WebApplication app)
    {
        app.MapDefaultEndpoints();
        // What docker/healthcheck.sh, scripts/cluster.sh and the cluster tests probe: ready, under its short name.
        app.MapHealthChecks("/health", HostingDefaults.Readiness);
        if (app.Services.GetRequiredService<IOptions<SiloHostOptions>>().Value.Dashboard)
        {
            // No authentication of its own: keep Silo:HttpHost on a private interface when it is on.
            app.MapOrleansDashboard(routePrefix: "/dashboard");
        }
        return app;
    }

    /// <summary>Applies the database schema (<c>migrate</c>, or <c>Database:ApplySchema</c>); false, said why, when it could not.</summary>
    public static async Task<bool> MigrateDatabaseAsync(this WebApplication app)
    {
        var key = $"ConnectionStrings:{SiloConfiguration.ConnectionName}";
        if (app.Configuration.GetConnectionString(SiloConfiguration.ConnectionName) is not { Length: > 0 } connectionString)
        {
            app.Logger.LogCritical("{Key} is required to apply the database schema", key);
            return false;
        }
        try
        {
            await new SchemaMigrator(connectionString, app.Services.GetRequiredService<ILogger<SchemaMigrator>>()).MigrateAsync();
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or PostgresException or TimeoutException or ArgumentException)
        {
            app.Logger.LogCritical("Applying the database schema ({Key}) failed: {Message}", key, e.Message);
            return false;
        }
    }

    /// <summary>Ready once this silo is active in the cluster's membership.</summary>
    private sealed class ActiveInClusterCheck(ISiloStatusOracle oracle) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken) =>
            Task.FromResult(oracle.CurrentStatus == SiloStatus.Active
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"Silo {oracle.SiloAddress} is {oracle.CurrentStatus}"));
    }
}
