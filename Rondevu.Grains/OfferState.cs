namespace Rondevu.Grains;

/// <summary>
/// One offer as it is stored: the only grain state Rondevu persists. Immutable: a change is a new
/// record handed to the write, so no call can alter what a write in flight serializes, and an
/// in-memory store may keep the very object the grain holds.
/// </summary>
[GenerateSerializer, Immutable, Alias("Rondevu.OfferState")]
public sealed record OfferState
{
    [Id(0)] public string PeerId { get; init; } = "";
    [Id(1)] public Utf8Text Sdp { get; init; } = Utf8Text.Empty;
    [Id(2)] public string[] Topics { get; init; } = [];
    [Id(3)] public long CreatedAt { get; init; }
    [Id(4)] public long ExpiresAt { get; init; }
    [Id(5)] public long LastSeen { get; init; }
    [Id(6)] public string? Secret { get; init; }
    [Id(7)] public string? Info { get; init; }
    [Id(8)] public string? AnswererPeerId { get; init; }
    [Id(9)] public Utf8Text? AnswerSdp { get; init; }
    [Id(10)] public long? AnsweredAt { get; init; }
    [Id(11)] public IceCandidate[] OffererCandidates { get; init; } = [];
    [Id(12)] public IceCandidate[] AnswererCandidates { get; init; } = [];

    public bool IsLiveAt(long now) => now < ExpiresAt;

    public bool IsListedAt(long now) => AnswererPeerId is null && IsLiveAt(now);

    /// <summary>Runtime traces and logs print records: a secret must never be in them.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"PeerId = {PeerId}, Topics = [{string.Join(", ", Topics)}], ExpiresAt = {ExpiresAt}, HasSecret = {Secret is not null}, AnswererPeerId = {AnswererPeerId}");
        return true;
    }

    public OfferView ToView(string id) => new(
        id, PeerId, Sdp, Topics, CreatedAt, ExpiresAt, LastSeen, Secret, Info, AnswererPeerId, AnsweredAt);

    public TopicEntry ToTopicEntry(string id) => new(id, PeerId, Sdp, Topics, ExpiresAt, LastSeen, Secret is not null, Info);

    public AnswerNotice ToAnswerNotice(string id) =>
        new(id, AnswererPeerId!, AnswerSdp!, AnsweredAt!.Value, Topics, ExpiresAt);
}

/// <summary>A stored offer and its id, as <see cref="IOfferCatalog"/> returns them.</summary>
public readonly record struct StoredOffer(string Id, OfferState State);

/// <summary>Distinct peers with a live, unanswered offer in a topic, and the first such offer's expiry.</summary>
public readonly record struct TopicTally(string Topic, int ActivePeers, long NextExpiry);

/// <summary>
/// The stored offers, beside the offer grains' own storage of them. The offer's record carries who owns
/// it, who answered it, its topics and its expiry, so the peer and topic grains persist nothing of their
/// own: an activation rebuilds what it knows from these queries, and a publish, answer or delete is one write.
/// </summary>
public interface IOfferCatalog
{
    /// <summary>Stores a new offer, the one write that publishes it. Only its owner's grain calls this, with
    /// an id it has just drawn (128 random bits), so no offer grain can hold another state for it; that
    /// grain activates from this record when the offer is first answered, read or changed, and an offer
    /// that only waits to be discovered costs no activation. Throws when the id is taken.</summary>
    Task AddAsync(string id, OfferState state);

    /// <summary>The peer's stored offers, answered and expired ones included.</summary>
    Task<IReadOnlyList<StoredOffer>> OwnedByAsync(string peerId);

    /// <summary>The stored offers the peer answered.</summary>
    Task<IReadOnlyList<StoredOffer>> AnsweredByAsync(string peerId);

    /// <summary>The stored, unanswered offers tagged with the topic, expired ones included.</summary>
    Task<IReadOnlyList<StoredOffer>> ListedInAsync(string topic);

    /// <summary>Every topic with a live, unanswered offer at <paramref name="now"/>.</summary>
    Task<IReadOnlyList<TopicTally>> TopicsAsync(long now);

    /// <summary>Up to <paramref name="limit"/> ids of stored offers expired at <paramref name="now"/>.</summary>
    Task<IReadOnlyList<string>> ExpiredAsync(long now, int limit);
}
