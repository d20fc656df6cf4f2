using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using OpenTelemetry.Metrics;
using Rondevu.Gateway.Configuration;
using Rondevu.Grains;

namespace Rondevu.Gateway.Hosting;

/// <summary>What operators look at: Prometheus metrics at /metrics, liveness and readiness probes.</summary>
public static class Operations
{
    private const string Ready = "ready";

    public static WebApplicationBuilder AddRondevuOperations(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddAspNetCoreInstrumentation()
            .AddMeter(RondevuMetrics.MeterName, "Microsoft.Orleans")
            .AddPrometheusExporter());

        var checks = builder.Services.AddHealthChecks().AddCheck<ClusterCheck>("cluster", tags: [Ready]);
        if (builder.Configuration.GetConnectionString("Postgres") is { Length: > 0 } connectionString &&
            builder.Configuration.GetSection(OrleansSettings.Section).Get<OrleansSettings>()?.Clustering == ClusteringMode.Postgres)
        {
            checks.Add(new HealthCheckRegistration("database", _ => new DatabaseCheck(connectionString), null, [Ready]));
        }
        return builder;
    }

    public static WebApplication MapRondevuOperations(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Ready), ResponseWriter = WriteAsync });
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            checks = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString().ToLowerInvariant()),
        }));
    }

    /// <summary>Ready when a grain call reaches an active silo.</summary>
    private sealed class ClusterCheck(IGrainFactory grains) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
        {
            try
            {
                var silos = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
                return silos.Count > 0 ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("No active silo");
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy("Cluster unreachable", error);
            }
        }
    }

    /// <summary>Ready when PostgreSQL, which holds membership, state and reminders, answers.</summary>
    private sealed class DatabaseCheck(string connectionString) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
        {
            try
            {
                var builder = new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 3, CommandTimeout = 3 };
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy();
            }
            catch (Exception error) when (error is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy("Database unreachable", error);
            }
        }
    }
}
