using Microsoft.AspNetCore.Hosting.Server;
using Npgsql;
using OpenTelemetry.Metrics;
using Orleans.Configuration;
using Orleans.Dashboard;
using Rondevu.Grains;
using Rondevu.Silo;
using Rondevu.Silo.Database;

const string AdoNetInvariant = "Npgsql";

// `dotnet Rondevu.Silo.dll migrate` applies the database schema and exits.
var migrateOnly = args.Length > 0 && args[0] == "migrate";
var builder = WebApplication.CreateBuilder(migrateOnly ? args[1..] : args);

SiloSettings settings;
try
{
    settings = SiloSettings.Load(builder.Configuration, migrateOnly);
}
catch (SettingsException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

if (migrateOnly || settings.ApplySchema)
{
    using var loggerFactory = LoggerFactory.Create(logging => logging
        .AddConfiguration(builder.Configuration.GetSection("Logging"))
        .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; o.UseUtcTimestamp = true; }));
    try
    {
        await new SchemaMigrator(settings.PostgresConnectionString!, loggerFactory.CreateLogger<SchemaMigrator>()).MigrateAsync();
    }
    catch (Exception e) when (e is NpgsqlException or PostgresException or TimeoutException)
    {
        Console.Error.WriteLine($"Applying the database schema ({SiloSettings.PostgresConnectionStringKey}) failed: {e.Message}");
        return 1;
    }
    if (migrateOnly) return 0;
}

builder.UseOrleans(silo =>
{
    silo.Configure<ClusterOptions>(o =>
    {
        o.ClusterId = settings.ClusterId;
        o.ServiceId = settings.ServiceId;
    });

    if (settings.Clustering == ClusteringProvider.Postgres)
    {
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = AdoNetInvariant;
            o.ConnectionString = settings.PostgresConnectionString;
        });
        silo.ConfigureEndpoints(settings.AdvertisedIP, settings.SiloPort, settings.GatewayPort);
    }
    else
    {
        silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, serviceId: settings.ServiceId, clusterId: settings.ClusterId);
    }

    if (settings.Storage == StateProvider.Postgres)
    {
        silo.Services.AddSingleton(_ => PostgresOfferStore.CreateDataSource(settings.PostgresConnectionString!));
        silo.AddRondevuOfferStore(services => ActivatorUtilities.CreateInstance<PostgresOfferStore>(services));
    }
    else
    {
        silo.AddRondevuInMemoryOffers();
    }

    if (settings.Reminders == StateProvider.Postgres)
    {
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = AdoNetInvariant;
            o.ConnectionString = settings.PostgresConnectionString;
        });
    }
    else
    {
        silo.UseInMemoryReminderService();
    }

    silo.AddRondevuGrains(builder.Configuration);

    if (settings.Dashboard)
    {
        silo.AddDashboard();
    }
});

// SIGTERM (docker stop, systemd, Kubernetes) and Ctrl+C stop the host, which stops the silo gracefully:
// it leaves the membership table as ShuttingDown then Dead, deactivates its grains (their state is
// already written: every acknowledged write is) and hands its reminders to the remaining silos. Past this
// timeout the stop is cut short and the others notice the silo is gone as they would after a crash.
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);

if (settings.HttpPort > 0)
{
    builder.WebHost.UseUrls($"http://{settings.HttpHost}:{settings.HttpPort}");
    builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
        .AddAspNetCoreInstrumentation()
        .AddMeter(RondevuMetrics.MeterName, "Microsoft.Orleans")
        .AddPrometheusExporter());
}
else
{
    builder.Services.AddSingleton<IServer, NoHttpServer>();
}

var app = builder.Build();

app.MapGet("/health", (ISiloStatusOracle oracle) => oracle.CurrentStatus == SiloStatus.Active
    ? Results.Ok(new { status = "ok", silo = oracle.SiloAddress.ToString() })
    : Results.Json(new { status = oracle.CurrentStatus.ToString(), silo = oracle.SiloAddress.ToString() }, statusCode: 503));
if (settings.HttpPort > 0)
{
    // What this silo's grains did (meter "Rondevu") and Orleans' own runtime metrics; scrape every silo.
    app.MapPrometheusScrapingEndpoint("/metrics");
}
if (settings.Dashboard)
{
    // No authentication of its own: keep Silo:HttpHost on a private interface when it is on.
    app.MapOrleansDashboard(routePrefix: "/dashboard");
}

await app.StartAsync();
app.Logger.LogInformation(
    "Silo {Silo} is active in cluster {ClusterId} (clustering {Clustering}, storage {Storage}, reminders {Reminders}, http {Http}, dashboard {Dashboard})",
    app.Services.GetRequiredService<ISiloStatusOracle>().SiloAddress, settings.ClusterId, settings.Clustering,
    settings.Storage, settings.Reminders, settings.HttpPort > 0 ? $"{settings.HttpHost}:{settings.HttpPort}" : "off",
    settings.Dashboard ? "/dashboard" : "off");
await app.WaitForShutdownAsync();
app.Logger.LogInformation("Silo stopped");
return 0;
