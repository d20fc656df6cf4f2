using System.ComponentModel.DataAnnotations;

namespace Rondevu.Gateway.Configuration;

public enum ClusteringMode
{
    /// <summary>Single process: the gateway co-hosts one silo with in-memory storage and reminders.</summary>
    Localhost,

    /// <summary>The gateway is an Orleans client that finds the silos through PostgreSQL.</summary>
    Postgres,
}

/// <summary>The <c>Orleans</c> configuration section (env: <c>Orleans__ClusteringProvider</c>, …).</summary>
public sealed class OrleansSettings
{
    public const string Section = "Orleans";

    /// <summary>Not <c>Orleans:Clustering</c>: Orleans reads that section itself and expects a provider type under it.</summary>
    public const string ClusteringKey = "ClusteringProvider";

    [ConfigurationKeyName(ClusteringKey)]
    public ClusteringMode Clustering { get; set; } = ClusteringMode.Localhost;

    [Required] public string ClusterId { get; set; } = "rondevu";

    [Required] public string ServiceId { get; set; } = "rondevu";

    /// <summary>Silo-to-silo port of the co-hosted silo (single process only).</summary>
    [Range(1, 65535)] public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port of the co-hosted silo (single process only).</summary>
    [Range(1, 65535)] public int GatewayPort { get; set; } = 30000;
}
