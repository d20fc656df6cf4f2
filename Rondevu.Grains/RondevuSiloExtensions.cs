using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace Rondevu.Grains;

public static class RondevuSiloExtensions
{
    /// <summary>The grain storage provider of the one persisted grain state, the offer's.</summary>
    public const string StorageName = "rondevu";

    /// <summary>The grains, their limits and the expiry sweep. Call one of the offer stores below as well.</summary>
    public static ISiloBuilder AddRondevuGrains(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.AddRondevuOptions(configuration);
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.AddMetrics();
        silo.Services.TryAddSingleton<RondevuMetrics>();
        silo.Services.AddPlacementDirector<TopicShardPlacement, TopicShardPlacementDirector>();
        silo.Services.AddHostedService<SweepStarter>();
        return silo;
    }

    /// <summary>Offers kept as live objects in this process (see <see cref="InMemoryOfferStore"/>): one silo only.</summary>
    public static ISiloBuilder AddRondevuInMemoryOffers(this ISiloBuilder silo) => silo.AddRondevuOfferStore(_ => new InMemoryOfferStore());

    /// <summary>Registers one object as both the offers' grain storage and the catalog the peer, topic and sweeper grains query.</summary>
    public static ISiloBuilder AddRondevuOfferStore<TStore>(this ISiloBuilder silo, Func<IServiceProvider, TStore> create)
        where TStore : class, IGrainStorage, IOfferCatalog
    {
        silo.Services.AddSingleton(create);
        silo.Services.AddSingleton<IOfferCatalog>(services => services.GetRequiredService<TStore>());
        silo.Services.AddGrainStorage(StorageName, (services, _) => services.GetRequiredService<TStore>());
        return silo;
    }

    /// <summary>Binds the limits from the root configuration (environment variables) and validates them at start.</summary>
    public static IServiceCollection AddRondevuOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RondevuOptions>().Bind(configuration).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RondevuOptions>, RondevuOptionsValidator>());
        return services;
    }
}
