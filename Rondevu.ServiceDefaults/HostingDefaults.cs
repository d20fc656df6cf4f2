using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Rondevu.Grains;

namespace Rondevu.ServiceDefaults;

/// <summary>
/// What every Rondevu process (gateway and silo) has in common, as eShop's ServiceDefaults: console logging,
/// OpenTelemetry metrics in Prometheus format at <c>/metrics</c>, and the probes <c>/health/live</c> and
/// <c>/health/ready</c>. Each host adds its own readiness checks, tagged <see cref="ReadyTag"/>.
/// </summary>
public static class HostingDefaults
{
    public const string ReadyTag = "ready";

    /// <summary>Orleans instruments recorded on every message or request. Aggregating them cost 4-6% of each
    /// cluster process's CPU under load (measured with perf, 2026-11-30); the directory's lookups, counted up to
    /// four times per message while it is addressed, a further 0.9% of the single process's. The counts,
    /// activations, directory registrations, membership and error instruments stay.</summary>
    private static readonly string[] OrleansPerMessageInstruments =
    [
        "orleans-messaging-sent-messages-size", "orleans-messaging-received-messages-size",
        "orleans-messaging-sent-header-size", "orleans-messaging-received-header-size",
        "orleans-messaging-processing-*", "orleans-messaging-sent-local",
        "orleans-gateway-sent", "orleans-gateway-received", "orleans-app-requests-latency",
        "orleans-directory-lookups-*",
    ];

    /// <summary>Only the checks that say whether this process can serve (tagged <see cref="ReadyTag"/>), with their names.</summary>
    public static readonly HealthCheckOptions Readiness = new() { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync };

    private static readonly HealthCheckOptions Liveness = new() { Predicate = _ => false, ResponseWriter = WriteAsync };

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // One line per entry, UTC: what log collectors and `grep` across silos and gateways expect.
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
            console.UseUtcTimestamp = true;
        });

        // Rondevu's instruments count where the grains run; Orleans' own show the runtime; ASP.NET's the HTTP side.
        builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            // ASP.NET Core's own meters for requests and connections. Not OpenTelemetry's ASP.NET instrumentation: it
            // also subscribes routing, authentication, rate-limiter lease and memory-pool meters and wraps every
            // request, 5-8% of a gateway's CPU under load (perf, 2026-11-30).
            metrics.AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                .AddMeter(RondevuMetrics.MeterName, "Microsoft.Orleans")
                .AddPrometheusExporter();
            foreach (var perMessage in OrleansPerMessageInstruments)
            {
                metrics.AddView(perMessage, MetricStreamConfiguration.Drop);
            }
        });

        builder.Services.AddHealthChecks();
        return builder;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapHealthChecks("/health/live", Liveness);
        app.MapHealthChecks("/health/ready", Readiness);
        return app;
    }

    /// <summary><c>{"status": "healthy", "checks": {"name": "healthy", …}}</c>: a probe sees which check failed.</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            checks = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString().ToLowerInvariant()),
        }));
    }
}
