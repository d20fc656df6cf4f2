using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Rondevu.ServiceDefaults;

namespace Rondevu.Gateway.Hosting;

/// <summary>The gateway's readiness checks; the probes and /metrics themselves are the shared hosting defaults.</summary>
public static class Readiness
{
    public static WebApplicationBuilder AddRondevuReadiness(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks().AddCheck<ClusterCheck>("cluster", tags: [HostingDefaults.ReadyTag]);
        return builder;
    }

    /// <summary>In cluster mode (<see cref="GatewayHosting.AddRondevuOrleans"/>), where PostgreSQL holds the membership.</summary>
    public static WebApplicationBuilder AddRondevuDatabaseReadiness(this WebApplicationBuilder builder, string connectionString)
    {
        builder.Services.AddHealthChecks()
            .Add(new HealthCheckRegistration("database", _ => new DatabaseCheck(connectionString), null, [HostingDefaults.ReadyTag]));
        return builder;
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
