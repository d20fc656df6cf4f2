using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration.Memory;
using Orleans.Configuration;

namespace Rondevu.Silo;

/// <summary>
/// Orleans configures the silo's providers from its own configuration sections (<c>Orleans:Clustering</c>,
/// <c>Orleans:Reminders</c>, <c>Orleans:GrainStorage:rondevu</c>, each with a <c>ProviderType</c>, and
/// <c>Orleans:Endpoints</c>). This fills those sections, below every other configuration source, with the
/// single-process defaults and with the project's shorter keys (<c>Orleans:ClusteringProvider=Postgres</c>, …)
/// spelled out, so the deployments written with them keep working and a key set in Orleans' form always wins.
/// </summary>
public static class SiloConfiguration
{
    /// <summary>The connection string (<c>ConnectionStrings:Postgres</c>) every PostgreSQL provider uses.</summary>
    public const string ConnectionName = "Postgres";

    public static WebApplicationBuilder AddRondevuOrleansConfiguration(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var values = new Dictionary<string, string?>
        {
            ["Orleans:ClusterId"] = "rondevu",
            ["Orleans:ServiceId"] = "rondevu",
            ["Orleans:Endpoints:SiloPort"] = Port(configuration, "Orleans:SiloPort"),
            ["Orleans:Endpoints:GatewayPort"] = Port(configuration, "Orleans:GatewayPort"),
        };
        Provider(values, "Orleans:Clustering", configuration["Orleans:ClusteringProvider"] ?? "Localhost", postgres: "AdoNet", other: "Development");
        Provider(values, "Orleans:Reminders", configuration["Orleans:RemindersProvider"] ?? "Memory", postgres: "AdoNet", other: "Memory");
        Provider(values, "Orleans:GrainStorage:rondevu", configuration["Orleans:StorageProvider"] ?? "Memory",
            postgres: OfferStoreProviders.Postgres, other: OfferStoreProviders.Memory);
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = values.Where(v => v.Value is not null) });

        // Orleans binds Orleans:Endpoints itself; the address may also be a host name (in Compose, the service's own).
        builder.Services.AddOptions<EndpointOptions>().Configure<IConfiguration>((endpoints, config) =>
        {
            if (config["Orleans:Endpoints:AdvertisedIPAddress"] is null)
            {
                endpoints.AdvertisedIPAddress = Resolve("Orleans:AdvertisedIP", config["Orleans:AdvertisedIP"] ?? "127.0.0.1");
            }
        });
        return builder;
    }

    /// <summary>A shorthand value: <c>Postgres</c> means the ADO.NET provider on <c>ConnectionStrings:Postgres</c>;
    /// <c>Localhost</c> and <c>Memory</c> mean the single-process one; anything else is taken as Orleans' provider type.</summary>
    private static void Provider(Dictionary<string, string?> values, string section, string shorthand, string postgres, string other)
    {
        if (shorthand.Equals("Postgres", StringComparison.OrdinalIgnoreCase))
        {
            values[$"{section}:ProviderType"] = postgres;
            values[$"{section}:Invariant"] = "Npgsql";
            values[$"{section}:ConnectionName"] = ConnectionName;
        }
        else
        {
            var singleProcess = shorthand.Equals("Localhost", StringComparison.OrdinalIgnoreCase) || shorthand.Equals("Memory", StringComparison.OrdinalIgnoreCase);
            values[$"{section}:ProviderType"] = singleProcess ? other : shorthand;
        }
    }

    /// <summary>A port as given, or null when absent. Checked here: Orleans skips an endpoint value it cannot read.</summary>
    private static string? Port(IConfiguration configuration, string key)
    {
        var value = configuration[key];
        if (value is null || int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535)
        {
            return value;
        }
        throw new OrleansConfigurationException($"{key}='{value}' must be an integer from 1 to 65535.");
    }

    /// <summary>An IP literal, or a host name resolved once now to its first IPv4 address.</summary>
    private static IPAddress Resolve(string key, string value)
    {
        if (IPAddress.TryParse(value, out var ip)) return ip;
        try
        {
            return Dns.GetHostAddresses(value).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? throw new OrleansConfigurationException($"{key}='{value}' resolves to no IPv4 address.");
        }
        catch (SocketException e)
        {
            throw new OrleansConfigurationException($"{key}='{value}' is neither an IP address nor a resolvable host name ({e.Message}).");
        }
    }
}
