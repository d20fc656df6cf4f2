using Npgsql;

namespace Rondevu.ClusterTests;

/// <summary>
/// Reads the tables of the Orleans ADO.NET providers (Rondevu.Silo/Schema/003_persistence.sql and
/// 004_reminders.sql). Grain types are the grain class names without "Grain" ("offer", "peer",
/// "topic", "topicIndex"). Offer and peer ids are 32 hex digits, which Orleans' ADO.NET storage
/// stores as a GUID key in GrainIdN0/N1 (the GUID's bytes as two little-endian int64); topics are
/// string keys in GrainIdExtensionString. Reminders name the grain as "peer/{id}".
/// </summary>
public sealed class Database(string connectionString, string adminConnectionString)
{
    public static (long N0, long N1) GuidKey(string hexId)
    {
        var bytes = Guid.ParseExact(hexId, "N").ToByteArray();
        return (BitConverter.ToInt64(bytes, 0), BitConverter.ToInt64(bytes, 8));
    }

    public Task<long> OfferRowsAsync(string offerId) => GuidGrainRowsAsync("offer", offerId);

    public Task<long> PeerRowsAsync(string peerId) => GuidGrainRowsAsync("peer", peerId);

    /// <summary>A topic grain's key: the topic behind the prefix Rondevu.Grains' GrainReferences adds.</summary>
    private static string TopicKey(string topic) => "topic:" + topic;

    public Task<long> TopicRowsAsync(string topic) => ScalarAsync(
        "SELECT count(*) FROM OrleansStorage WHERE GrainTypeString = 'topic' AND GrainIdExtensionString = @key",
        ("key", TopicKey(topic)));

    /// <summary>Topic rows whose state still names the offer.</summary>
    public Task<long> TopicRowsMentioningAsync(string topic, string offerId) => ScalarAsync(
        "SELECT count(*) FROM OrleansStorage WHERE GrainTypeString = 'topic' AND GrainIdExtensionString = @key " +
        "AND position(@needle in convert_from(PayloadBinary, 'UTF8')) > 0",
        ("key", TopicKey(topic)), ("needle", offerId));

    /// <summary>Peer rows whose state still names the offer.</summary>
    public async Task<long> PeerRowsMentioningAsync(string peerId, string offerId)
    {
        var (n0, n1) = GuidKey(peerId);
        return await ScalarAsync(
            "SELECT count(*) FROM OrleansStorage WHERE GrainTypeString = 'peer' AND GrainIdN0 = @n0 AND GrainIdN1 = @n1 " +
            "AND position(@needle in convert_from(PayloadBinary, 'UTF8')) > 0",
            ("n0", n0), ("n1", n1), ("needle", offerId));
    }

    /// <summary>Topic-index shards whose state names the topic (as a JSON string).</summary>
    public Task<long> TopicIndexMentionsAsync(string topic) => ScalarAsync(
        "SELECT count(*) FROM OrleansStorage WHERE GrainTypeString = 'topicIndex' " +
        "AND position(@needle in convert_from(PayloadBinary, 'UTF8')) > 0",
        ("needle", "\"" + topic + "\""));

    /// <summary>Membership status of the newest generation of the silo on this port (3 = Active, 6 = Dead).</summary>
    public Task<long> SiloStatusAsync(int siloPort) => ScalarAsync(
        "SELECT COALESCE((SELECT Status FROM OrleansMembershipTable WHERE Port = @port ORDER BY Generation DESC LIMIT 1), -1)",
        ("port", siloPort));

    /// <summary>The peer's sweep reminder, which ends its expired offers.</summary>
    public Task<long> SweepReminderRowsAsync(string peerId) => ScalarAsync(
        "SELECT count(*) FROM OrleansRemindersTable WHERE GrainId = @grain", ("grain", "peer/" + peerId));

    /// <summary>Writes to the rondevu database so far: committed transactions and changed tuples, and the
    /// tuples changed in the grain-state and reminder tables alone. The database-wide counters are read
    /// from another database, so that polling them adds nothing; the per-table read costs rondevu one
    /// read-only commit.</summary>
    public async Task<WriteCounters> CountersAsync()
    {
        var (commits, tuples) = await DatabaseCountersAsync();

        // Per-table statistics are only visible from inside the database itself.
        await using var inside = new NpgsqlConnection(connectionString);
        await inside.OpenAsync();
        await using var tables = new NpgsqlCommand(
            """
            SELECT lower(relname), n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables
            WHERE lower(relname) IN ('orleansstorage', 'orleansreminderstable')
            """, inside);
        long storage = 0, reminders = 0;
        await using (var rows = await tables.ExecuteReaderAsync())
        {
            while (await rows.ReadAsync())
            {
                if (rows.GetString(0) == "orleansstorage") storage = rows.GetInt64(1);
                else reminders = rows.GetInt64(1);
            }
        }
        return new WriteCounters(commits, tuples, storage, reminders);
    }

    /// <summary>pg_stat_database's counters of the rondevu database, read from the postgres database.</summary>
    public async Task<(long Commits, long Tuples)> DatabaseCountersAsync()
    {
        await using var connection = new NpgsqlConnection(adminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT d.xact_commit, d.tup_inserted + d.tup_updated + d.tup_deleted
            FROM pg_stat_database d WHERE d.datname = 'rondevu'
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    public async Task<long> ScalarAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    private async Task<long> GuidGrainRowsAsync(string type, string id)
    {
        var (n0, n1) = GuidKey(id);
        return await ScalarAsync(
            "SELECT count(*) FROM OrleansStorage WHERE GrainTypeString = @type AND GrainIdN0 = @n0 AND GrainIdN1 = @n1",
            ("type", type), ("n0", n0), ("n1", n1));
    }
}

public sealed record WriteCounters(long Commits, long Tuples, long StorageTuples, long ReminderTuples)
{
    public static WriteCounters operator -(WriteCounters a, WriteCounters b) =>
        new(a.Commits - b.Commits, a.Tuples - b.Tuples, a.StorageTuples - b.StorageTuples, a.ReminderTuples - b.ReminderTuples);
}
