using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Rondevu.Grains;

/// <remarks>
/// Persists nothing: its offers, the answers to them and the offers it answered are all in the offers'
/// own records, which an activation reads back with two catalog queries (see <see cref="IOfferCatalog"/>).
/// Keeping them here, in memory, lets <c>GET /peers/{id}/offers</c> and the answers poll cost one grain
/// call and no database read, and a publish, answer or delete no write beyond the offer's own.
/// Reentrant because offer grains call back into it (answered, candidates, removed) while it may be
/// waiting on them, and because push requests wait here without blocking other calls. That is safe:
/// every method changes memory synchronously before its first await, and there is no state write for
/// a change to interleave with.
/// </remarks>
[Reentrant]
public sealed class PeerGrain(
    IOfferCatalog catalog,
    IOptions<RondevuOptions> options,
    TimeProvider clock,
    ILogger<PeerGrain> logger) : Grain, IPeerGrain
{
    /// <summary>Owned offers, answered ones included, as the views the reads return.</summary>
    private readonly Dictionary<string, OfferView> _offers = [];

    /// <summary>Offers this peer answered (id → expiresAt): their offerer's candidates reach its mailbox.</summary>
    private readonly Dictionary<string, long> _answered = [];

    private readonly List<AnswerNotice> _answers = [];
    private readonly Mailbox _candidates = new();
    private TaskCompletionSource _news = NewSignal();
    private int _waiters;

    /// <summary>Slots held by publishes still creating their offers, so concurrent ones can't pass the cap together.</summary>
    private int _reserved;

    /// <summary>The cursor clock: every delivery is stamped above every timestamp handed out before it.</summary>
    private long _lastIssued;

    private string PeerId => this.GetPrimaryKeyString();
    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var owned = await catalog.OwnedByAsync(PeerId);
        var answered = await catalog.AnsweredByAsync(PeerId);
        foreach (var (id, state) in owned)
        {
            _offers[id] = state.ToView(id);
            if (state.AnswererPeerId is not null)
            {
                _answers.Add(state.ToAnswerNotice(id) with { DeliveredAt = Stamp() });
                Deliver(id, state.AnswererCandidates);
            }
        }
        foreach (var (id, state) in answered)
        {
            _answered[id] = state.ExpiresAt;
            Deliver(id, state.OffererCandidates);
        }
    }

    public async Task<PublishResult> PublishAsync(OfferDraft[] drafts)
    {
        var now = Now;
        ForgetExpired(now);
        if (_offers.Values.Count(o => o.ExpiresAt > now) + _reserved + drafts.Length > options.Value.MaxOffersPerPeer)
        {
            return new PublishResult(true, []);
        }

        var ids = drafts.Select(_ => Ids.New()).ToArray();
        _reserved += drafts.Length;
        try
        {
            var offers = await Task.WhenAll(ids.Select((id, i) => GrainFactory.GetOfferGrain(id).CreateAsync(PeerId, drafts[i])));
            foreach (var offer in offers)
            {
                _offers[offer.Id] = offer;
            }
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
                    logger.LogWarning(error, "Offer {OfferId} of a failed publish could not be removed; the sweep will", id);
                }
            }));
            throw;
        }
        finally
        {
            _reserved -= drafts.Length;
        }
    }

    public Task<OfferView[]> GetOffersAsync()
    {
        var now = Now;
        return Task.FromResult(_offers.Values.Where(o => o.ExpiresAt > now).OrderByDescending(o => o.LastSeen).ToArray());
    }

    public Task<AnswerNotice[]> GetAnswersAsync(long? since) => Task.FromResult(AnswersAfter(since));

    public async Task<AnswersWait> WaitForAnswersAsync(long? since, TimeSpan wait, CancellationToken cancellationToken)
    {
        var status = await WaitUntilAsync(() => AnswersAfter(since).Length > 0, wait, cancellationToken);
        return new AnswersWait(status, status == WaitStatus.TooManyWaiters ? [] : AnswersAfter(since));
    }

    public Task<WaitStatus> WaitForCandidatesAsync(string offerId, long? since, TimeSpan wait, CancellationToken cancellationToken)
    {
        var after = since ?? long.MinValue;
        return WaitUntilAsync(() => _candidates.HasCreatedAfter(offerId, after), wait, cancellationToken);
    }

    public async Task<PollPage> PollAsync(long? since, TimeSpan wait, CancellationToken cancellationToken)
    {
        var after = since ?? long.MinValue;
        if (after > _lastIssued)
        {
            // A cursor this activation never issued (a silo died, or the client made it up): its
            // stamps can't be compared with ours, so return everything rather than risk a skip.
            _lastIssued = after;
            after = long.MinValue;
        }
        var status = await WaitUntilAsync(() => HasDeliveriesAfter(after), wait, cancellationToken);
        if (status == WaitStatus.TooManyWaiters)
        {
            return new PollPage(status, [], [], _lastIssued);
        }
        var now = Now;
        var answers = _answers.Where(a => a.DeliveredAt > after && a.ExpiresAt > now).OrderBy(a => a.DeliveredAt).ToArray();
        var candidates = _candidates.DeliveredAfter(after, IsLive).ToArray();
        _lastIssued = Math.Max(_lastIssued, now);
        return new PollPage(status, answers, candidates, _lastIssued);
    }

    public Task OfferAnsweredAsync(AnswerNotice answer)
    {
        if (!_answers.Exists(a => a.OfferId == answer.OfferId && a.AnsweredAt == answer.AnsweredAt))
        {
            _answers.RemoveAll(a => a.OfferId == answer.OfferId);
            _answers.Add(answer with { DeliveredAt = Stamp() });
            if (_offers.TryGetValue(answer.OfferId, out var offer))
            {
                _offers[answer.OfferId] = offer with
                {
                    AnswererPeerId = answer.AnswererId,
                    AnsweredAt = answer.AnsweredAt,
                    ExpiresAt = answer.ExpiresAt,
                };
            }
            Signal();
        }
        return Task.CompletedTask;
    }

    public Task OfferJoinedAsync(string offerId, long expiresAt, IceCandidate[] offererCandidates)
    {
        _answered[offerId] = expiresAt;
        Deliver(offerId, offererCandidates);
        return Task.CompletedTask;
    }

    public Task CandidatesPostedAsync(string offerId, IceCandidate[] candidates)
    {
        Deliver(offerId, candidates);
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
        _candidates.Remove(offerId);
        _offers.Remove(offerId);
        _answered.Remove(offerId);
        _answers.RemoveAll(a => a.OfferId == offerId);
        return Task.CompletedTask;
    }

    private AnswerNotice[] AnswersAfter(long? since)
    {
        var now = Now;
        var after = since ?? long.MinValue;
        return _answers.Where(a => a.ExpiresAt > now && a.AnsweredAt > after).OrderBy(a => a.AnsweredAt).ToArray();
    }

    private bool HasDeliveriesAfter(long after)
    {
        var now = Now;
        return _answers.Exists(a => a.DeliveredAt > after && a.ExpiresAt > now)
            || _candidates.HasDeliveredAfter(after, IsLive);
    }

    private bool IsLive(string offerId)
    {
        var now = Now;
        return (_offers.TryGetValue(offerId, out var owned) && owned.ExpiresAt > now)
            || (_answered.TryGetValue(offerId, out var answered) && answered > now);
    }

    /// <summary>Waits without a thread and without blocking the grain, until news, timeout or the caller going away.</summary>
    private async Task<WaitStatus> WaitUntilAsync(Func<bool> ready, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (ready())
        {
            return WaitStatus.Ready;
        }
        if (wait <= TimeSpan.Zero || cancellationToken.IsCancellationRequested)
        {
            return WaitStatus.TimedOut;
        }
        if (_waiters >= options.Value.MaxWaitersPerPeer)
        {
            return WaitStatus.TooManyWaiters;
        }
        _waiters++;
        RondevuMetrics.WaitingPolls.Add(1);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(wait);
            while (!ready())
            {
                try
                {
                    await _news.Task.WaitAsync(deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    return ready() ? WaitStatus.Ready : WaitStatus.TimedOut;
                }
            }
            return WaitStatus.Ready;
        }
        finally
        {
            _waiters--;
            RondevuMetrics.WaitingPolls.Add(-1);
        }
    }

    private void Deliver(string offerId, IceCandidate[] candidates)
    {
        if (candidates.Length > 0 && _candidates.Add(offerId, candidates, Stamp()))
        {
            Signal();
        }
    }

    private long Stamp() => _lastIssued = Math.Max(Now, _lastIssued + 1);

    private void Signal()
    {
        var news = _news;
        _news = NewSignal();
        news.SetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Forgets what ended elsewhere; the sweep removes the offers' records and tells this grain.</summary>
    private void ForgetExpired(long now)
    {
        foreach (var (id, expiresAt) in _answered)
        {
            if (expiresAt <= now)
            {
                _answered.Remove(id);
                _candidates.Remove(id);
            }
        }
        _answers.RemoveAll(a => a.ExpiresAt <= now);
    }

    /// <summary>The other side's candidates per offer, each stamped with the cursor clock when it arrived.</summary>
    private sealed class Mailbox
    {
        private readonly Dictionary<string, List<(IceCandidate Candidate, long DeliveredAt)>> _byOffer = [];

        /// <summary>Adds the candidates not already held (a redelivery may overlap a delivery); true when any was new.</summary>
        public bool Add(string offerId, IceCandidate[] candidates, long deliveredAt)
        {
            if (!_byOffer.TryGetValue(offerId, out var held))
            {
                _byOffer[offerId] = held = [];
            }
            var added = false;
            foreach (var candidate in candidates)
            {
                if (!held.Exists(h => h.Candidate.Role == candidate.Role && h.Candidate.CreatedAt == candidate.CreatedAt))
                {
                    held.Add((candidate, deliveredAt));
                    added = true;
                }
            }
            return added;
        }

        public void Remove(string offerId) => _byOffer.Remove(offerId);

        public bool HasCreatedAfter(string offerId, long after) =>
            _byOffer.TryGetValue(offerId, out var held) && held.Exists(h => h.Candidate.CreatedAt > after);

        /// <summary>Whether <see cref="DeliveredAfter"/> would return anything, without sorting: waiters ask on every delivery.</summary>
        public bool HasDeliveredAfter(long after, Func<string, bool> isLive) =>
            _byOffer.Any(offer => isLive(offer.Key) && offer.Value.Exists(held => held.DeliveredAt > after));

        public IEnumerable<PolledCandidate> DeliveredAfter(long after, Func<string, bool> isLive) =>
            from offer in _byOffer
            where isLive(offer.Key)
            from held in offer.Value
            where held.DeliveredAt > after
            orderby held.DeliveredAt, held.Candidate.CreatedAt
            select new PolledCandidate(offer.Key, held.Candidate);
    }
}
