using Npgsql;

namespace Rondevu.ClusterTests;

/// <summary>
/// Reads Rondevu's tables: <c>rondevu_offer</c> (Rondevu.Silo/Schema/003_offers.sql), one row per stored
/// offer with its owner, answerer and topics as columns, and the Orleans ADO.NET reminders table
/// (004_reminders.sql), where the one sweep reminder names its grain "offersweeper/0".
/// </summary>
public sealed class Database(string connectionString, string adminConnectionString)
{
    public Task<long> OfferRowsAsync(string offerId) =>
        ScalarAsync("SELECT count(*) FROM rondevu_offer WHERE offer_id = @id", ("id", offerId));

    /// <summary>Stored offers the peer owns or answered: what its grain rebuilds from.</summary>
    public Task<long> OfferRowsOfPeerAsync(string peerId) =>
        ScalarAsync("SELECT count(*) FROM rondevu_offer WHERE peer_id = @peer OR answerer_id = @peer", ("peer", peerId));

    /// <summary>Stored, unanswered offers tagged with the topic: what its grain and the topic index rebuild from.</summary>
    public Task<long> OfferRowsListedInAsync(string topic) =>
        ScalarAsync("SELECT count(*) FROM rondevu_offer WHERE topics @> ARRAY[@topic] AND answerer_id IS NULL", ("topic", topic));

    /// <summary>Reminder rows per grain type ("offersweeper", "peer", …), every type that has one.</summary>
    public Task<long> ReminderRowsAsync(string grainType) =>
        ScalarAsync("SELECT count(*) FROM OrleansRemindersTable WHERE GrainId LIKE @prefix", ("prefix", grainType + "/%"));

    /// <summary>Membership status of the newest generation of the silo on this port (3 = Active, 6 = Dead).</summary>
    public Task<long> SiloStatusAsync(int siloPort) => ScalarAsync(
        "SELECT COALESCE((SELECT Status FROM OrleansMembershipTable WHERE Port = @port ORDER BY Generation DESC LIMIT 1), -1)",
        ("port", siloPort));

    /// <summary>Writes to the rondevu database so far: committed transactions and changed tuples, and the
    /// tuples changed in the offer and reminder tables alone. The database-wide counters are read
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
            WHERE lower(relname) IN ('rondevu_offer', 'orleansreminderstable')
            """, inside);
        long storage = 0, reminders = 0;
        await using (var rows = await tables.ExecuteReaderAsync())
        {
            while (await rows.ReadAsync())
            {
                if (rows.GetString(0) == "rondevu_offer") storage = rows.GetInt64(1);
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
}

public sealed record WriteCounters(long Commits, long Tuples, long StorageTuples, long ReminderTuples)
{
    public static WriteCounters operator -(WriteCounters a, WriteCounters b) =>
        new(a.Commits - b.Commits, a.Tuples - b.Tuples, a.StorageTuples - b.StorageTuples, a.ReminderTuples - b.ReminderTuples);
}
