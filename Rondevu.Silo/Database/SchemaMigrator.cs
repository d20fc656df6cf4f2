using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Rondevu.Silo.Database;

public sealed record SchemaScript(int Version, string Name, string Sql)
{
    public string Sha256 { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}

/// <summary>
/// Applies the SQL scripts embedded from Schema/ (NNN_name.sql) in version order.
/// </summary>
/// <remarks>
/// Every script is idempotent on its own; the version table only records what ran, so unchanged
/// scripts are skipped and an edited one (say, a corrected query text) runs again. The whole run is
/// one transaction behind an advisory lock: silos starting together apply it once, and a failure
/// leaves the database as it was.
/// </remarks>
public sealed class SchemaMigrator(string connectionString, ILogger<SchemaMigrator> logger)
{
    // Any constant does, as long as every Rondevu process uses the same one.
    private const long AdvisoryLockKey = 0x526F6E64657675; // "Rondevu"

    private const string ResourcePrefix = "Schema/";

    public static IReadOnlyList<SchemaScript> Scripts { get; } = LoadScripts();

    /// <returns>The number of scripts that ran.</returns>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(@key)", cancellationToken, ("key", AdvisoryLockKey));
        await ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS rondevu_schema_version (
                version    integer     NOT NULL PRIMARY KEY,
                name       text        NOT NULL,
                sha256     text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, cancellationToken);

        var applied = new Dictionary<int, string>();
        await using (var command = new NpgsqlCommand("SELECT version, sha256 FROM rondevu_schema_version", connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) applied[reader.GetInt32(0)] = reader.GetString(1);
        }

        var ran = 0;
        foreach (var script in Scripts)
        {
            if (applied.TryGetValue(script.Version, out var sha) && sha == script.Sha256) continue;
            await ExecuteAsync(connection, script.Sql, cancellationToken);
            await ExecuteAsync(connection, """
                INSERT INTO rondevu_schema_version (version, name, sha256) VALUES (@version, @name, @sha256)
                ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, sha256 = EXCLUDED.sha256, applied_at = now()
                """, cancellationToken, ("version", script.Version), ("name", script.Name), ("sha256", script.Sha256));
            logger.LogInformation("Applied schema script {Script}", script.Name);
            ran++;
        }

        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Database schema is up to date ({Ran} of {Total} scripts applied now)", ran, Scripts.Count);
        return ran;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken,
        params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<SchemaScript> LoadScripts()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var scripts = new List<SchemaScript>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..];
            var separator = name.IndexOf('_');
            if (separator <= 0 || !int.TryParse(name[..separator], out var version))
            {
                throw new InvalidOperationException($"Schema script {name} is not named NNN_description.sql.");
            }
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            scripts.Add(new SchemaScript(version, name, reader.ReadToEnd()));
        }
        var duplicate = scripts.GroupBy(s => s.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"Two schema scripts share version {duplicate.Key}.");
        return [.. scripts.OrderBy(s => s.Version)];
    }
}
