using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Rondevu.Silo;

public enum ClusteringProvider { Localhost, Postgres }

public enum StateProvider { Memory, Postgres }

/// <summary>Deployment settings of one silo process, read and checked once at start.</summary>
public sealed record SiloSettings
{
    public const string PostgresConnectionStringKey = "ConnectionStrings:Postgres";

    public ClusteringProvider Clustering { get; init; }
    public StateProvider Storage { get; init; }
    public StateProvider Reminders { get; init; }
    public string ClusterId { get; init; } = "rondevu";
    public string ServiceId { get; init; } = "rondevu";
    public int SiloPort { get; init; } = 11111;
    public int GatewayPort { get; init; } = 30000;
    public IPAddress AdvertisedIP { get; init; } = IPAddress.Loopback;
    public string? PostgresConnectionString { get; init; }
    public bool ApplySchema { get; init; }
    public int HttpPort { get; init; }
    public string HttpHost { get; init; } = "127.0.0.1";
    /// <summary>Serve the Orleans dashboard at <c>/dashboard</c> on <see cref="HttpPort"/>.</summary>
    public bool Dashboard { get; init; }
    /// <summary>How long a stopping silo (SIGTERM, Ctrl+C) may take to hand its grains over before it just exits.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public bool UsesPostgres =>
        Clustering == ClusteringProvider.Postgres || Storage == StateProvider.Postgres || Reminders == StateProvider.Postgres;

    /// <summary>Reads every setting; throws <see cref="SettingsException"/> listing all bad ones.</summary>
    /// <param name="migrateOnly">Only the database settings matter: the process applies the schema and exits.</param>
    public static SiloSettings Load(IConfiguration configuration, bool migrateOnly = false)
    {
        var read = new SettingReader(configuration);

        // Orleans itself configures providers from the sections Orleans:Clustering and Orleans:Reminders
        // (with a ProviderType key) and fails obscurely on a plain value there.
        foreach (var reserved in new[] { "Orleans:Clustering", "Orleans:Reminders" })
        {
            if (configuration[reserved] is { } value)
            {
                read.Errors.Add($"{reserved}={value}: this key belongs to Orleans' own provider configuration; " +
                    $"set {reserved}Provider instead.");
            }
        }

        var settings = new SiloSettings
        {
            Clustering = read.Enum("Orleans:ClusteringProvider", ClusteringProvider.Localhost),
            Storage = read.Enum("Orleans:StorageProvider", StateProvider.Memory),
            Reminders = read.Enum("Orleans:RemindersProvider", StateProvider.Memory),
            ClusterId = read.Name("Orleans:ClusterId", "rondevu"),
            ServiceId = read.Name("Orleans:ServiceId", "rondevu"),
            SiloPort = read.Int("Orleans:SiloPort", 11111, 1, 65535),
            GatewayPort = read.Int("Orleans:GatewayPort", 30000, 1, 65535),
            AdvertisedIP = read.Address("Orleans:AdvertisedIP", "127.0.0.1"),
            PostgresConnectionString = read.ConnectionString(PostgresConnectionStringKey),
            ApplySchema = read.Bool("Database:ApplySchema", false),
            HttpPort = read.Int("Silo:HttpPort", 0, 0, 65535),
            HttpHost = configuration["Silo:HttpHost"] is { Length: > 0 } host ? host : "127.0.0.1",
            Dashboard = read.Bool("Silo:Dashboard", false),
            ShutdownTimeout = TimeSpan.FromSeconds(read.Int("Silo:ShutdownTimeoutSeconds", 30, 1, 3600)),
        };

        if (settings.SiloPort == settings.GatewayPort)
        {
            read.Errors.Add($"Orleans:SiloPort and Orleans:GatewayPort must differ (both are {settings.SiloPort}).");
        }
        if (settings.Storage == StateProvider.Memory && settings.Clustering == ClusteringProvider.Postgres && !migrateOnly)
        {
            read.Errors.Add("Orleans:StorageProvider=Memory keeps the offers inside one silo; a cluster (Orleans:ClusteringProvider=Postgres) needs Orleans:StorageProvider=Postgres.");
        }
        if (settings.Dashboard && settings.HttpPort == 0 && !migrateOnly)
        {
            read.Errors.Add("Silo:Dashboard=true needs Silo:HttpPort: the dashboard is served on the silo's HTTP port.");
        }
        if (string.IsNullOrWhiteSpace(configuration[PostgresConnectionStringKey]))
        {
            var reason = migrateOnly ? "the migrate command"
                : settings.ApplySchema ? "Database:ApplySchema=true"
                : settings.Clustering == ClusteringProvider.Postgres ? "Orleans:ClusteringProvider=Postgres"
                : settings.Storage == StateProvider.Postgres ? "Orleans:StorageProvider=Postgres"
                : settings.Reminders == StateProvider.Postgres ? "Orleans:RemindersProvider=Postgres"
                : null;
            if (reason is not null)
            {
                read.Errors.Add($"{PostgresConnectionStringKey} is required by {reason}.");
            }
        }

        if (read.Errors.Count > 0) throw new SettingsException(read.Errors);
        return settings;
    }

    private sealed class SettingReader(IConfiguration configuration)
    {
        public List<string> Errors { get; } = [];

        public T Enum<T>(string key, T fallback) where T : struct, Enum
        {
            var value = configuration[key];
            if (string.IsNullOrWhiteSpace(value)) return fallback;
            // Enum.TryParse also accepts numbers, which are never meant here.
            if (!char.IsDigit(value.Trim()[0]) && System.Enum.TryParse<T>(value.Trim(), ignoreCase: true, out var parsed)) return parsed;
            Errors.Add($"{key}='{value}' is not one of: {string.Join(", ", System.Enum.GetNames<T>())}.");
            return fallback;
        }

        public int Int(string key, int fallback, int min, int max)
        {
            var value = configuration[key];
            if (string.IsNullOrWhiteSpace(value)) return fallback;
            if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= min && parsed <= max) return parsed;
            Errors.Add($"{key}='{value}' must be an integer from {min} to {max}.");
            return fallback;
        }

        public bool Bool(string key, bool fallback)
        {
            var value = configuration[key];
            if (string.IsNullOrWhiteSpace(value)) return fallback;
            if (bool.TryParse(value, out var parsed)) return parsed;
            Errors.Add($"{key}='{value}' must be true or false.");
            return fallback;
        }

        public string Name(string key, string fallback)
        {
            var value = configuration[key];
            if (value is null) return fallback;
            if (value.Length is > 0 and <= 150 && !value.Any(char.IsWhiteSpace)) return value;
            Errors.Add($"{key}='{value}' must be 1 to 150 characters without spaces.");
            return fallback;
        }

        // An IP literal, or a host name resolved once now (in Docker: the container's own service name).
        public IPAddress Address(string key, string fallback)
        {
            var value = configuration[key] is { Length: > 0 } v ? v.Trim() : fallback;
            if (IPAddress.TryParse(value, out var ip)) return ip;
            try
            {
                var resolved = Dns.GetHostAddresses(value).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
                if (resolved is not null) return resolved;
                Errors.Add($"{key}='{value}' resolves to no IPv4 address.");
            }
            catch (SocketException e)
            {
                Errors.Add($"{key}='{value}' is neither an IP address nor a resolvable host name ({e.Message}).");
            }
            return IPAddress.Loopback;
        }

        public string? ConnectionString(string key)
        {
            var value = configuration[key];
            if (string.IsNullOrWhiteSpace(value)) return null;
            try
            {
                _ = new NpgsqlConnectionStringBuilder(value);
                return value;
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                Errors.Add($"{key} is not a valid Npgsql connection string: {e.Message}");
                return null;
            }
        }
    }
}

public sealed class SettingsException(IReadOnlyList<string> errors)
    : Exception("Invalid configuration:" + string.Concat(errors.Select(e => Environment.NewLine + "  " + e)))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
