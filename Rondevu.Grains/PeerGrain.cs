using Microsoft.Extensions.Options;

namespace Rondevu.Grains;

[GenerateSerializer, Alias("Rondevu.PeerState")]
public sealed class PeerState
{
    /// <summary>Offer id → expiresAt, to count live offers against the per-peer cap without asking them.</summary>
    [Id(0)] public Dictionary<string, long> Offers { get; set; } = [];
    [Id(1)] public List<AnswerNotice> Answers { get; set; } = [];
}

/// <remarks>
/// Reentrant because offer grains call back into it (answered, removed) while it may be waiting on
/// them. That is safe: every method changes state synchronously before its first await, and all
/// writes go through one <see cref="Coalescer"/>, so no call sees or persists a half-made change.
/// </remarks>
[Reentrant]
public sealed class PeerGrain : Grain, IPeerGrain
{
    private readonly IPersistentState<PeerState> _peer;
    private readonly IOptions<RondevuOptions> _options;
    private readonly TimeProvider _clock;
    private readonly Coalescer _writer;

    public PeerGrain(
        [PersistentState("peer", RondevuSiloExtensions.StorageName)] IPersistentState<PeerState> peer,
        IOptions<RondevuOptions> options,
        TimeProvider clock)
    {
        _peer = peer;
        _options = options;
        _clock = clock;
        _writer = new Coalescer(SaveAsync);
    }

    private PeerState State => _peer.State;
    private string PeerId => this.GetPrimaryKeyString();
    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<PublishResult> PublishAsync(OfferDraft[] drafts)
    {
        var now = Now;
        ForgetExpired(now);
        if (State.Offers.Count + drafts.Length > _options.Value.MaxOffersPerPeer)
        {
            return new PublishResult(true, []);
        }

        // Reserve the slots before the first await, so concurrent publishes can't pass the cap together.
        var ids = drafts.Select(_ => Ids.New()).ToArray();
        for (var i = 0; i < ids.Length; i++)
        {
            State.Offers[ids[i]] = now + drafts[i].TtlMs;
        }
        try
        {
            var offers = await Task.WhenAll(ids.Select((id, i) =>
                GrainFactory.GetGrain<IOfferGrain>(id).CreateAsync(PeerId, drafts[i])));
            foreach (var offer in offers)
            {
                State.Offers[offer.Id] = offer.ExpiresAt;
            }
            await _writer.RunAsync();
            return new PublishResult(false, offers);
        }
        catch
        {
            foreach (var id in ids)
            {
                State.Offers.Remove(id);
            }
            throw;
        }
    }

    public async Task<OfferView[]> GetOffersAsync()
    {
        var now = Now;
        var ids = State.Offers.Where(o => o.Value > now).Select(o => o.Key).ToArray();
        var offers = await Task.WhenAll(ids.Select(id => GrainFactory.GetGrain<IOfferGrain>(id).GetAsync()));
        return offers.OfType<OfferView>().OrderByDescending(o => o.LastSeen).ToArray();
    }

    public Task<AnswerNotice[]> GetAnswersAsync(long? since)
    {
        var now = Now;
        var after = since ?? long.MinValue;
        return Task.FromResult(State.Answers
            .Where(a => a.ExpiresAt > now && a.AnsweredAt > after)
            .OrderBy(a => a.AnsweredAt)
            .ToArray());
    }

    public async Task OfferAnsweredAsync(AnswerNotice answer)
    {
        State.Answers.RemoveAll(a => a.OfferId == answer.OfferId);
        State.Answers.Add(answer);
        State.Offers[answer.OfferId] = answer.ExpiresAt;
        await _writer.RunAsync();
    }

    public async Task OfferRemovedAsync(string offerId)
    {
        var removed = State.Offers.Remove(offerId) | State.Answers.RemoveAll(a => a.OfferId == offerId) > 0;
        if (removed)
        {
            await _writer.RunAsync();
        }
    }

    private void ForgetExpired(long now)
    {
        foreach (var (id, expiresAt) in State.Offers)
        {
            if (expiresAt <= now)
            {
                State.Offers.Remove(id);
            }
        }
        State.Answers.RemoveAll(a => a.ExpiresAt <= now);
    }

    private async Task SaveAsync()
    {
        if (State.Offers.Count == 0 && State.Answers.Count == 0)
        {
            if (_peer.RecordExists)
            {
                await _peer.ClearStateAsync();
            }
            return;
        }
        await _peer.WriteStateAsync();
    }
}
