using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Rondevu.Grains;

/// <remarks>
/// Persists nothing: its offers, the answers to them and the offers it answered are all in the offers'
/// own records, which an activation reads back with two catalog queries (see <see cref="IOfferCatalog"/>).
/// Keeping them here, in memory, lets <c>GET /peers/{id}/offers</c> and the answers poll cost one grain
/// call and no database read, and a publish, answer or delete no write beyond the offer's own.
/// Its parts: the offer index and the per-peer cap (here), the mailbox (<see cref="PeerMailbox"/>) and
/// the waiting requests (<see cref="NewsWaiters"/>).
/// Reentrant because offer grains call back into it (answered, candidates, removed) while it may be
/// waiting on them, and because push requests wait here without blocking other calls. That is safe:
/// every method changes memory synchronously before its first await, and there is no state write for
/// a change to interleave with.
/// </remarks>
[Reentrant]
public sealed class PeerGrain : Grain, IPeerGrain, IPeerInbox
{
    private readonly IOfferCatalog _catalog;
    private readonly IOptions<RondevuOptions> _options;
    private readonly TimeProvider _clock;
    private readonly RondevuMetrics _metrics;
    private readonly ILogger<PeerGrain> _logger;
    private readonly PeerMailbox _mailbox;
    private readonly NewsWaiters _waiters;

    /// <summary>Owned offers, answered ones included, as their owner sees them.</summary>
    private readonly Dictionary<string, OfferView> _offers = [];

    /// <summary>Offers this peer answered (id → expiresAt): their offerer's candidates reach its mailbox.</summary>
    private readonly Dictionary<string, long> _answered = [];

    /// <summary>Slots held by publishes still creating their offers, so concurrent ones can't pass the cap together.</summary>
    private int _reserved;

    private string? _peerId;

    public PeerGrain(IOfferCatalog catalog, IOptions<RondevuOptions> options, TimeProvider clock, RondevuMetrics metrics, ILogger<PeerGrain> logger)
    {
        _catalog = catalog;
        _options = options;
        _clock = clock;
        _metrics = metrics;
        _logger = logger;
        _mailbox = new PeerMailbox(clock);
        _waiters = new NewsWaiters(options.Value.MaxWaitersPerPeer, metrics);
    }

    /// <summary>Kept: Orleans decodes a new string from the grain id on every <c>GetPrimaryKeyString</c>.</summary>
    private string PeerId => _peerId ??= this.GetPrimaryKeyString();
    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var owned = _catalog.OwnedByAsync(PeerId);
        var answered = _catalog.AnsweredByAsync(PeerId);
        foreach (var (id, state) in await owned)
        {
            _offers[id] = state.ToView(id);
            if (state.AnswererPeerId is not null)
            {
                _mailbox.AddAnswer(state.ToAnswerNotice(id));
                _mailbox.AddCandidates(id, state.AnswererCandidates);
            }
        }
        foreach (var (id, state) in await answered)
        {
            _answered[id] = state.ExpiresAt;
            _mailbox.AddCandidates(id, state.OffererCandidates);
        }
        _logger.LogDebug("Peer {PeerId} activated with {Offers} offers and {Answered} answered offers from the catalog", PeerId, _offers.Count, _answered.Count);
    }

    public async Task<PublishResult> PublishAsync(OfferDraft[] drafts)
    {
        var now = Now;
        ForgetExpired(now);
        if (_offers.Values.Count(o => o.ExpiresAt > now) + _reserved + drafts.Length > _options.Value.MaxOffersPerPeer)
        {
            _logger.LogDebug("Peer {PeerId}: publish of {Count} refused at the cap", PeerId, drafts.Length);
            return new PublishResult(true, []);
        }

        var ids = drafts.Select(_ => Ids.New()).ToArray();
        var reservation = new Reservation(drafts.Length);
        _reserved += drafts.Length;
        try
        {
            var offers = await Task.WhenAll(ids.Select((id, i) => CreateAsync(id, drafts[i], now, reservation)));
            return new PublishResult(false, offers);
        }
        catch
        {
            // Nothing of a refused batch may stay: a client told "failed" must not find its offers.
            await Task.WhenAll(ids.Select(async id =>
            {
                try
                {
                    await GrainFactory.GetOfferGrain(id).DeleteAsync(PeerId);
                }
                catch (Exception error)
                {
                    _logger.LogWarning(error, "Offer {OfferId} of a failed publish could not be removed; the sweep will", id);
                }
            }));
            throw;
        }
        finally
        {
            _reserved -= reservation.Held;
        }
    }

    /// <summary>Stores the offer, then lists it in its topics: acknowledged, it is durable and discoverable.</summary>
    private async Task<OfferView> CreateAsync(string id, OfferDraft draft, long now, Reservation reservation)
    {
        var state = new OfferState
        {
            PeerId = PeerId,
            Sdp = draft.Sdp,
            Topics = draft.Topics,
            CreatedAt = now,
            ExpiresAt = now + draft.TtlMs,
            LastSeen = now,
            Secret = draft.Secret,
            Info = draft.Info,
        };
        await _catalog.AddAsync(id, state);
        // The stored offer now counts against the cap by itself: its slot is handed back.
        var view = _offers[id] = state.ToView(id);
        reservation.Held--;
        _reserved--;
        var entry = state.ToTopicEntry(id);
        await Task.WhenAll(state.Topics.Select(topic => GrainFactory.GetTopicGrain(topic).AddAsync(entry)));
        _metrics.OffersCreated.Add(1);
        _metrics.ActiveOffers.Add(1);
        return view;
    }

    public Task<OfferView[]> GetOffersAsync() => Task.FromResult(LiveOffers().ToArray());

    public Task<PublicOfferView[]> GetPublicOffersAsync() => Task.FromResult(LiveOffers()
        .Select(o => new PublicOfferView(o.Id, o.Sdp, o.Topics, o.ExpiresAt, o.LastSeen, o.Secret is not null, o.Info))
        .ToArray());

    public Task<AnswerNotice[]> GetAnswersAsync(long? since) => Task.FromResult(_mailbox.AnswersAfter(since));

    public async Task<AnswersWait> WaitForAnswersAsync(long? since, TimeSpan wait, CancellationToken cancellationToken)
    {
        var status = await _waiters.WaitUntilAsync(() => _mailbox.AnswersAfter(since).Length > 0, wait, cancellationToken);
        return new AnswersWait(status, status == WaitStatus.TooManyWaiters ? [] : _mailbox.AnswersAfter(since));
    }

    public Task<WaitStatus> WaitForCandidatesAsync(string offerId, long? since, TimeSpan wait, CancellationToken cancellationToken) =>
        _waiters.WaitUntilAsync(() => _mailbox.HasCandidateCreatedAfter(offerId, since), wait, cancellationToken);

    public async Task<PollPage> PollAsync(long? since, TimeSpan wait, CancellationToken cancellationToken)
    {
        var after = _mailbox.CursorFrom(since);
        var status = await _waiters.WaitUntilAsync(() => _mailbox.HasDeliveriesAfter(after, IsLive), wait, cancellationToken);
        return _mailbox.Page(status, after, IsLive);
    }

    public Task OfferAnsweredAsync(AnswerNotice answer)
    {
        if (_mailbox.AddAnswer(answer))
        {
            if (_offers.TryGetValue(answer.OfferId, out var offer))
            {
                _offers[answer.OfferId] = offer with { AnswererPeerId = answer.AnswererId, AnsweredAt = answer.AnsweredAt, ExpiresAt = answer.ExpiresAt };
            }
            _waiters.Signal();
        }
        return Task.CompletedTask;
    }

    public Task OfferJoinedAsync(string offerId, long expiresAt, IceCandidate[] offererCandidates)
    {
        _answered[offerId] = expiresAt;
        return CandidatesPostedAsync(offerId, offererCandidates);
    }

    public Task CandidatesPostedAsync(string offerId, IceCandidate[] candidates)
    {
        if (_mailbox.AddCandidates(offerId, candidates))
        {
            _waiters.Signal();
        }
        return Task.CompletedTask;
    }

    public Task OfferTouchedAsync(string offerId, long lastSeen)
    {
        if (_offers.TryGetValue(offerId, out var offer))
        {
            _offers[offerId] = offer with { LastSeen = lastSeen };
        }
        return Task.CompletedTask;
    }

    public Task OfferRemovedAsync(string offerId)
    {
        _mailbox.Forget(offerId);
        _offers.Remove(offerId);
        _answered.Remove(offerId);
        return Task.CompletedTask;
    }

    private IEnumerable<OfferView> LiveOffers()
    {
        var now = Now;
        return _offers.Values.Where(o => o.ExpiresAt > now).OrderByDescending(o => o.LastSeen);
    }

    private bool IsLive(string offerId)
    {
        var now = Now;
        return (_offers.TryGetValue(offerId, out var owned) && owned.ExpiresAt > now)
            || (_answered.TryGetValue(offerId, out var answered) && answered > now);
    }

    /// <summary>Forgets what ended elsewhere; the sweep removes the offers' records and tells this grain.</summary>
    private void ForgetExpired(long now)
    {
        foreach (var (id, expiresAt) in _answered)
        {
            if (expiresAt <= now)
            {
                _answered.Remove(id);
                _mailbox.ForgetCandidates(id);
            }
        }
        _mailbox.ForgetExpiredAnswers(now);
    }

    /// <summary>The slots one publish still holds for offers not stored yet.</summary>
    private sealed class Reservation(int slots)
    {
        public int Held { get; set; } = slots;
    }
}
