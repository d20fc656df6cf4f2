using Microsoft.Extensions.Options;
using Rondevu.ServiceDefaults;
using Rondevu.Silo;

// `dotnet Rondevu.Silo.dll migrate` applies the database schema and exits.
var migrateOnly = args is ["migrate", ..];
var builder = WebApplication.CreateBuilder(migrateOnly ? args[1..] : args);
builder.AddServiceDefaults();
if (migrateOnly)
{
    return await builder.Build().MigrateDatabaseAsync() ? 0 : 1;
}

try
{
    builder.AddRondevuOrleansConfiguration();
    builder.AddRondevuSilo();

    var app = builder.Build();
    app.MapSiloEndpoints();
    if (app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.ApplySchema && !await app.MigrateDatabaseAsync())
    {
        return 1;
    }

    await app.StartAsync();
    app.Logger.LogInformation(
        "Silo {Silo} is active in cluster {ClusterId} (clustering {Clustering}, storage {Storage}, reminders {Reminders})",
        app.Services.GetRequiredService<ISiloStatusOracle>().SiloAddress, app.Configuration["Orleans:ClusterId"],
        app.Configuration["Orleans:Clustering:ProviderType"], app.Configuration["Orleans:GrainStorage:rondevu:ProviderType"],
        app.Configuration["Orleans:Reminders:ProviderType"]);
    await app.WaitForShutdownAsync();
    app.Logger.LogInformation("Silo stopped");
    return 0;
}
catch (Exception e) when (e is OptionsValidationException or OrleansConfigurationException ||
    // What the configuration binder throws for a value of the wrong type ("Failed to convert configuration value 'x' at 'Key' …").
    e is InvalidOperationException && e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
{
    // A bad setting is the operator's to fix, not a crash: say which, without a stack trace.
    Console.Error.WriteLine($"Invalid configuration:{Environment.NewLine}  {e.Message}");
    return 1;
}
