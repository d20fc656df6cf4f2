using Npgsql;
using Orleans.Providers;
using Rondevu.Grains;
using Rondevu.Silo;
using Rondevu.Silo.Database;

[assembly: RegisterProvider(OfferStoreProviders.Postgres, "GrainStorage", "Silo", typeof(OfferStoreProviders.PostgresBuilder))]
[assembly: RegisterProvider(OfferStoreProviders.Memory, "GrainStorage", "Silo", typeof(OfferStoreProviders.MemoryBuilder))]

namespace Rondevu.Silo;

/// <summary>
/// The offers' store as Orleans grain storage providers, chosen by configuration like Orleans' own:
/// <c>Orleans:GrainStorage:rondevu:ProviderType</c>. Named apart from Orleans' "Memory" and "AdoNet", which
/// store one opaque blob per grain; these are also the catalog the peer, topic and sweeper grains query.
/// </summary>
public static class OfferStoreProviders
{
    public const string Postgres = "RondevuPostgres";
    public const string Memory = "RondevuMemory";

    /// <summary>Offers in PostgreSQL (<see cref="PostgresOfferStore"/>): <c>ConnectionString</c>, or <c>ConnectionName</c>
    /// naming one of <c>ConnectionStrings</c>, as Orleans' ADO.NET providers take them.</summary>
    internal sealed class PostgresBuilder : IProviderBuilder<ISiloBuilder>
    {
        public void Configure(ISiloBuilder builder, string? name, IConfigurationSection configurationSection)
        {
            RequireOfferStorageName(name, configurationSection);
            var connectionString = configurationSection["ConnectionString"] is { Length: > 0 } literal
                ? literal
                : builder.Configuration.GetConnectionString(configurationSection["ConnectionName"] ?? "");
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new OrleansConfigurationException(
                    $"{configurationSection.Path}: {Postgres} needs ConnectionString, or ConnectionName naming a ConnectionStrings entry.");
            }
            builder.Services.AddSingleton(_ => PostgresOfferStore.CreateDataSource(connectionString));
            builder.AddRondevuOfferStore(services => ActivatorUtilities.CreateInstance<PostgresOfferStore>(services));
        }
    }

    /// <summary>Offers kept inside this one silo: only a single-silo (Development) cluster can use it.</summary>
    internal sealed class MemoryBuilder : IProviderBuilder<ISiloBuilder>
    {
        public void Configure(ISiloBuilder builder, string? name, IConfigurationSection configurationSection)
        {
            RequireOfferStorageName(name, configurationSection);
            var clustering = builder.Configuration["Orleans:Clustering:ProviderType"];
            if (!string.Equals(clustering, "Development", StringComparison.OrdinalIgnoreCase))
            {
                throw new OrleansConfigurationException(
                    $"{configurationSection.Path}: {Memory} keeps the offers inside one silo; a cluster (Orleans:Clustering:ProviderType " +
                    $"{clustering}) needs {Postgres} (Orleans:StorageProvider=Postgres).");
            }
            builder.AddRondevuInMemoryOffers();
        }
    }

    private static void RequireOfferStorageName(string? name, IConfigurationSection configurationSection)
    {
        if (name != RondevuSiloExtensions.StorageName)
        {
            throw new OrleansConfigurationException(
                $"{configurationSection.Path}: the offers' store is the grain storage named '{RondevuSiloExtensions.StorageName}'.");
        }
    }
}
