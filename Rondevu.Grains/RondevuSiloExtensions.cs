using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Storage;

namespace Rondevu.Grains;

public static class RondevuSiloExtensions
{
    /// <summary>The one grain storage provider every Rondevu grain persists to.</summary>
    public const string StorageName = "rondevu";

    public static ISiloBuilder AddRondevuGrains(this ISiloBuilder silo, IConfiguration configuration)
    {
        silo.Services.AddRondevuOptions(configuration);
        silo.Services.TryAddSingleton(TimeProvider.System);
        return silo;
    }

    /// <summary>The single process's grain state: the live objects themselves (see <see cref="InProcessGrainStorage"/>).</summary>
    public static ISiloBuilder AddRondevuInProcessStorage(this ISiloBuilder silo)
    {
        silo.Services.AddGrainStorage(StorageName, (_, _) => new InProcessGrainStorage());
        return silo;
    }

    /// <summary>
    /// In-memory grain state shared by the silos of a cluster without a database. It keeps Orleans' binary serializer: the default
    /// JSON one was the largest single cost of a handshake, for state that never leaves memory.
    /// </summary>
    public static ISiloBuilder AddRondevuMemoryStorage(this ISiloBuilder silo)
    {
        silo.AddMemoryGrainStorage(StorageName);
        silo.Services.AddOptions<MemoryGrainStorageOptions>(StorageName)
            .Configure<Serializer>((options, serializer) => options.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer));
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
