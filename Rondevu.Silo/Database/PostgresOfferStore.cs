using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using Rondevu.Grains;

namespace Rondevu.Silo.Database;

/// <summary>
/// The offers' grain storage and catalog on PostgreSQL (table <c>rondevu_offer</c>, Schema/003_offers.sql).
/// Each write is one statement on one row: the state in Orleans' binary serializer plus the columns the
/// catalog queries (owner, answerer, topics, expiry), so a peer's or a topic's membership costs no write
/// of its own. The state is an immutable record serialized before the first await, so nothing can
/// change it while its write is in flight.
/// </summary>
public sealed class PostgresOfferStore(NpgsqlDataSource database, Serializer<OfferState> serializer, IOptions<ClusterOptions> cluster)
    : IGrainStorage, IOfferCatalog
{
    /// <summary>What <c>payload</c> holds: 1 = <see cref="OfferState"/> in Orleans' binary serializer. A new
    /// layout that old code could not read gets a new number and a migration.</summary>
    private const short Format = 1;

    private const string Columns = "offer_id, format, payload";

    private readonly string _serviceId = cluster.Value.ServiceId;

    /// <summary>The data source the store runs on. Its statements are few and repeated on every request, so
    /// Npgsql prepares them (unless the connection string says otherwise): PostgreSQL then skips parsing
    /// and planning each one. The store never changes session state, so a pooled connection needs no reset
    /// (by default Npgsql resets it with extra statements on each reuse).</summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 16;
        }
        if (!connectionString.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase))
        {
            builder.ConnectionStringBuilder.NoResetOnClose = true;
        }
        return builder.Build();
    }

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await using var command = database.CreateCommand(
            "SELECT version, format, payload FROM rondevu_offer WHERE service_id = $1 AND offer_id = $2");
        command.Parameters.Add(new() { Value = _serviceId });
        command.Parameters.Add(new() { Value = KeyOf(grainId) });
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return;
        }
        grainState.State = (T)(object)Deserialize(reader.GetInt16(1), (byte[])reader[2]);
        grainState.ETag = reader.GetInt32(0).ToString(System.Globalization.CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var state = grainState.State as OfferState
            ?? throw new NotSupportedException($"{nameof(PostgresOfferStore)} stores offers only, not {typeof(T).Name}");
        var version = await WriteAsync(KeyOf(grainId), state, grainState.ETag);
        grainState.ETag = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public Task AddAsync(string id, OfferState state) => WriteAsync(id, state, etag: null);

    /// <summary>Inserts (no ETag) or compare-and-swaps (an ETag) one row; returns its new version.</summary>
    private async Task<int> WriteAsync(string id, OfferState state, string? etag)
    {
        var payload = serializer.SerializeToArray(state);
        await using var command = database.CreateCommand(etag is null
            ? """
              INSERT INTO rondevu_offer (service_id, offer_id, peer_id, answerer_id, topics, expires_at, version, format, payload)
              VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8)
              ON CONFLICT DO NOTHING RETURNING version
              """
            : """
              UPDATE rondevu_offer
              SET peer_id = $3, answerer_id = $4, topics = $5, expires_at = $6, version = version % 2147483647 + 1, format = $7, payload = $8
              WHERE service_id = $1 AND offer_id = $2 AND version = $9
              RETURNING version
              """);
        command.Parameters.Add(new() { Value = _serviceId });
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = state.PeerId });
        command.Parameters.Add(new() { Value = (object?)state.AnswererPeerId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = state.Topics });
        command.Parameters.Add(new() { Value = state.ExpiresAt });
        command.Parameters.Add(new() { Value = Format });
        command.Parameters.Add(new() { Value = payload });
        if (etag is not null)
        {
            command.Parameters.Add(new() { Value = int.Parse(etag, System.Globalization.CultureInfo.InvariantCulture) });
        }
        return (int?)await command.ExecuteScalarAsync()
            ?? throw new InconsistentStateException($"Offer {id} was changed by another activation", "unknown", etag ?? "none");
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (grainState.ETag is not null)
        {
            await using var command = database.CreateCommand(
                "DELETE FROM rondevu_offer WHERE service_id = $1 AND offer_id = $2 AND version = $3");
            command.Parameters.Add(new() { Value = _serviceId });
            command.Parameters.Add(new() { Value = KeyOf(grainId) });
            command.Parameters.Add(new() { Value = int.Parse(grainState.ETag, System.Globalization.CultureInfo.InvariantCulture) });
            if (await command.ExecuteNonQueryAsync() != 1)
            {
                throw new InconsistentStateException($"Offer {KeyOf(grainId)} was changed by another activation", "unknown", grainState.ETag);
            }
        }
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    public Task<IReadOnlyList<StoredOffer>> OwnedByAsync(string peerId) =>
        OffersAsync($"SELECT {Columns} FROM rondevu_offer WHERE service_id = $1 AND peer_id = $2", peerId);

    public Task<IReadOnlyList<StoredOffer>> AnsweredByAsync(string peerId) =>
        OffersAsync($"SELECT {Columns} FROM rondevu_offer WHERE service_id = $1 AND answerer_id = $2", peerId);

    public Task<IReadOnlyList<StoredOffer>> ListedInAsync(string topic) =>
        OffersAsync($"SELECT {Columns} FROM rondevu_offer WHERE service_id = $1 AND topics @> ARRAY[$2] AND answerer_id IS NULL", topic);

    public async Task<IReadOnlyList<TopicTally>> TopicsAsync(long now)
    {
        await using var command = database.CreateCommand(
            """
            SELECT topic, count(DISTINCT peer_id)::integer, min(expires_at)
            FROM rondevu_offer, unnest(topics) AS topic
            WHERE service_id = $1 AND answerer_id IS NULL AND expires_at > $2
            GROUP BY topic
            """);
        command.Parameters.Add(new() { Value = _serviceId });
        command.Parameters.Add(new() { Value = now });
        var tallies = new List<TopicTally>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            tallies.Add(new TopicTally(reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2)));
        }
        return tallies;
    }

    public async Task<IReadOnlyList<string>> ExpiredAsync(long now, int limit)
    {
        await using var command = database.CreateCommand(
            "SELECT offer_id FROM rondevu_offer WHERE service_id = $1 AND expires_at <= $2 ORDER BY expires_at LIMIT $3");
        command.Parameters.Add(new() { Value = _serviceId });
        command.Parameters.Add(new() { Value = now });
        command.Parameters.Add(new() { Value = limit });
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    private async Task<IReadOnlyList<StoredOffer>> OffersAsync(string sql, string key)
    {
        await using var command = database.CreateCommand(sql);
        command.Parameters.Add(new() { Value = _serviceId });
        command.Parameters.Add(new() { Value = key });
        var offers = new List<StoredOffer>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            offers.Add(new StoredOffer(reader.GetString(0), Deserialize(reader.GetInt16(1), (byte[])reader[2])));
        }
        return offers;
    }

    private OfferState Deserialize(short format, byte[] payload) => format == Format
        ? serializer.Deserialize(payload)!
        : throw new NotSupportedException($"Offer payload format {format} is not known to this version (it reads {Format})");

    private static string KeyOf(GrainId grainId) => grainId.Key.ToString()!;
}
