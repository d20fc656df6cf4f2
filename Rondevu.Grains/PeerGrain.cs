using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Rondevu.Grains;

[GenerateSerializer, Alias("Rondevu.PeerState")]
public sealed class PeerState
{
    /// <summary>Owned offer id → expiresAt, to count live offers against the per-peer cap without asking them.</summary>
    [Id(0)] public Dictionary<string, long> Offers { get; set; } = [];
    [Id(1)] public List<AnswerNotice> Answers { get; set; } = [];

    /// <summary>Offers this peer answered (id → expiresAt): their offerer's candidates reach its mailbox.</summary>
    [Id(2)] public Dictionary<string, long> Answered { get; set; } = [];
}

/// <remarks>
/// Reentrant because offer grains call back into it (answered, candidates, removed) while it may be
/// waiting on them, and because push requests wait here without blocking other calls. That is safe:
/// every method changes state synchronously before its first await, and all writes go through one
/// <see cref="Coalescer"/>, so no call sees or persists a half-made change.
/// The peer also ends its offers: one reminder per peer sweeps the expired ones, instead of a reminder
/// per offer (two reminder writes per handshake, and most of an idle offer's memory).
/// </remarks>
[Reentrant]
public sealed class PeerGrain : Grain, IPeerGrain, IRemindable
{
    private const string SweepReminder = "sweep";

    private readonly IPersistentState<PeerState> _peer;
    private readonly IOptions<RondevuOptions> _options;
    private readonly TimeSpan _sweepPeriod;
    private readonly TimeProvider _clock;
    private readonly ILogger<PeerGrain> _logger;
    private readonly Coalescer _writer;
    private readonly Mailbox _candidates = new();
    private Task? _mailboxLoaded;
    private TaskCompletionSource _news = NewSignal();
    private int _waiters;

    /// <summary>The cursor clock: every delivery is stamped above every timestamp handed out before it.</summary>
    private long _lastIssued;

    /// <summary>When the sweep reminder fires next, as far as this activation knows; null: none known.</summary>
    private long? _nextSweep;
    private Task _sweepChange = Task.CompletedTask;

    public PeerGrain(
        [PersistentState("peer", RondevuSiloExtensions.StorageName)] IPersistentState<PeerState> peer,
        IOptions<RondevuOptions> options,
        IOptions<ReminderOptions> reminderOptions,
        TimeProvider clock,
        ILogger<PeerGrain> logger)
    {
        _peer = peer;
        _options = options;
        _sweepPeriod = reminderOptions.Value.MinimumReminderPeriod;
        _clock = clock;
        _logger = logger;
        _writer = new Coalescer(SaveAsync);
    }

    private PeerState State => _peer.State;
    private string PeerId => this.GetPrimaryKeyString();
    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _lastIssued = State.Answers.Select(a => a.DeliveredAt).DefaultIfEmpty(0).Max();
        return Task.CompletedTask;
    }

    public async Task<PublishResult> PublishAsync(OfferDraft[] drafts)
    {
        var now = Now;
        ForgetExpired(now);
        if (State.Offers.Values.Count(expiresAt => expiresAt > now) + drafts.Length > _options.Value.MaxOffersPerPeer)
        {
            return new PublishResult(true, []);
        }

        // Reserve the slots before the first await, so concurrent publishes can't pass the cap together.
        var ids = drafts.Select(_ => Ids.New()).ToArray();
        var reserved = drafts.Select(d => now + d.TtlMs).ToArray();
        for (var i = 0; i < ids.Length; i++)
        {
            State.Offers[ids[i]] = reserved[i];
        }
        try
        {
            var offers = await Task.WhenAll(ids.Select((id, i) =>
                GrainFactory.GetOfferGrain(id).CreateAsync(PeerId, drafts[i])));
            for (var i = 0; i < offers.Length; i++)
            {
                // Unless an answer or a delete already changed the entry while the batch was created.
                if (State.Offers.TryGetValue(ids[i], out var expiresAt) && expiresAt == reserved[i])
                {
                    State.Offers[ids[i]] = offers[i].ExpiresAt;
                }
            }
            await Task.WhenAll(_writer.RunAsync(), ScheduleSweepAsync());
            return new PublishResult(false, offers);
        }
        catch
        {
            // Nothing of a refused batch may stay: no sweep would find offers this index forgot.
            await Task.WhenAll(ids.Select(async id =>
            {
                try
                {
                    await GrainFactory.GetOfferGrain(id).DeleteAsync(PeerId);
                }
                catch (Exception error)
                {
                    _logger.LogWarning(error, "Offer {OfferId} of a failed publish could not be removed", id);
                }
            }));
            foreach (var id in ids)
            {
                State.Offers.Remove(id);
            }
            throw;
        }
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        var now = Now;
        _nextSweep = now + (long)_sweepPeriod.TotalMilliseconds;
        var expired = State.Offers.Where(o => o.Value <= now).Select(o => o.Key).ToArray();
        var gone = await Task.WhenAll(expired.Select(id => GrainFactory.GetOfferGrain(id).ExpireAsync()));
        for (var i = 0; i < expired.Length; i++)
        {
            if (gone[i])
            {
                State.Offers.Remove(expired[i]);
            }
        }
        ForgetExpired(now);
        await Task.WhenAll(_writer.RunAsync(), ScheduleSweepAsync());
    }

    /// <summary>Keeps the sweep reminder due by the earliest expiry of the peer's offers, and gone when it has
    /// none. Changes run one after another, each deciding on the state of its own moment, so a reentrant
    /// publish and a sweep can't leave offers without a reminder.</summary>
    private Task ScheduleSweepAsync() => _sweepChange = ChangeSweepAfterAsync(_sweepChange);

    private async Task ChangeSweepAfterAsync(Task previous)
    {
        try
        {
            await previous;
        }
        catch
        {
            // The caller of that change saw its failure; this one decides afresh.
        }
        if (State.Offers.Count == 0)
        {
            if (_nextSweep is not null && await this.GetReminder(SweepReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
            _nextSweep = null;
            return;
        }
        var earliest = State.Offers.Values.Min();
        if (_nextSweep is { } next && next <= earliest)
        {
            return;
        }
        await this.RegisterOrUpdateReminder(SweepReminder, TimeSpan.FromMilliseconds(Math.Max(0, earliest - Now)), _sweepPeriod);
        _nextSweep = earliest;
    }

    public async Task<OfferView[]> GetOffersAsync()
    {
        var now = Now;
        var ids = State.Offers.Where(o => o.Value > now).Select(o => o.Key).ToArray();
        var offers = await Task.WhenAll(ids.Select(id => GrainFactory.GetOfferGrain(id).GetAsync()));
        return offers.OfType<OfferView>().OrderByDescending(o => o.LastSeen).ToArray();
    }

    public Task<AnswerNotice[]> GetAnswersAsync(long? since) => Task.FromResult(AnswersAfter(since));

    public async Task<AnswersWait> WaitForAnswersAsync(long? since, TimeSpan wait, CancellationToken cancellationToken)
    {
        var status = await WaitUntilAsync(() => AnswersAfter(since).Length > 0, wait, cancellationToken);
        return new AnswersWait(status, status == WaitStatus.TooManyWaiters ? [] : AnswersAfter(since));
    }

    public async Task<WaitStatus> WaitForCandidatesAsync(string offerId, long? since, TimeSpan wait, CancellationToken cancellationToken)
    {
        await LoadMailboxAsync();
        var after = since ?? long.MinValue;
        return await WaitUntilAsync(() => _candidates.HasCreatedAfter(offerId, after), wait, cancellationToken);
    }

    public async Task<PollPage> PollAsync(long? since, TimeSpan wait, CancellationToken cancellationToken)
    {
        await LoadMailboxAsync();
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
        var answers = State.Answers.Where(a => a.DeliveredAt > after && a.ExpiresAt > now).OrderBy(a => a.DeliveredAt).ToArray();
        var candidates = _candidates.DeliveredAfter(after, IsLive).ToArray();
        _lastIssued = Math.Max(_lastIssued, now);
        return new PollPage(status, answers, candidates, _lastIssued);
    }

    public async Task OfferAnsweredAsync(AnswerNotice answer)
    {
        if (State.Answers.Exists(a => a.OfferId == answer.OfferId && a.AnsweredAt == answer.AnsweredAt))
        {
            return;
        }
        State.Answers.RemoveAll(a => a.OfferId == answer.OfferId);
        State.Answers.Add(answer with { DeliveredAt = Stamp() });
        State.Offers[answer.OfferId] = answer.ExpiresAt;
        Signal();
        await _writer.RunAsync();
    }

    public async Task OfferJoinedAsync(string offerId, long expiresAt, IceCandidate[] offererCandidates)
    {
        Deliver(offerId, offererCandidates);
        if (State.Answered.TryGetValue(offerId, out var known) && known == expiresAt)
        {
            return;
        }
        State.Answered[offerId] = expiresAt;
        await _writer.RunAsync();
    }

    public Task CandidatesPostedAsync(string offerId, IceCandidate[] candidates)
    {
        Deliver(offerId, candidates);
        return Task.CompletedTask;
    }

    public async Task OfferRemovedAsync(string offerId)
    {
        _candidates.Remove(offerId);
        var removed = State.Offers.Remove(offerId)
            | State.Answered.Remove(offerId)
            | State.Answers.RemoveAll(a => a.OfferId == offerId) > 0;
        if (removed)
        {
            await _writer.RunAsync();
        }
    }

    private AnswerNotice[] AnswersAfter(long? since)
    {
        var now = Now;
        var after = since ?? long.MinValue;
        return State.Answers.Where(a => a.ExpiresAt > now && a.AnsweredAt > after).OrderBy(a => a.AnsweredAt).ToArray();
    }

    private bool HasDeliveriesAfter(long after)
    {
        var now = Now;
        return State.Answers.Any(a => a.DeliveredAt > after && a.ExpiresAt > now)
            || _candidates.HasDeliveredAfter(after, IsLive);
    }

    private bool IsLive(string offerId)
    {
        var now = Now;
        return (State.Offers.TryGetValue(offerId, out var owned) && owned > now)
            || (State.Answered.TryGetValue(offerId, out var answered) && answered > now);
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
        if (_waiters >= _options.Value.MaxWaitersPerPeer)
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
        if (_candidates.Add(offerId, candidates, Stamp()))
        {
            Signal();
        }
    }

    /// <summary>The mailbox of candidates lives in memory; the offers hold them durably. A new activation
    /// (after a silo died, or idle collection) refills it from them once, before its first read.</summary>
    private Task LoadMailboxAsync() => _mailboxLoaded ??= RefillMailboxAsync();

    private async Task RefillMailboxAsync()
    {
        var offers = State.Offers.Keys.Concat(State.Answered.Keys).Where(IsLive).Distinct().ToArray();
        if (offers.Length == 0)
        {
            return;
        }
        var reads = await Task.WhenAll(offers.Select(id => GrainFactory.GetOfferGrain(id).GetCandidatesAsync(PeerId, null)));
        for (var i = 0; i < offers.Length; i++)
        {
            Deliver(offers[i], reads[i].Candidates);
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

    /// <summary>Forgets what ended elsewhere. Owned offers stay until the sweep has ended them: forgetting one
    /// first would leave its state behind for good.</summary>
    private void ForgetExpired(long now)
    {
        foreach (var (id, expiresAt) in State.Answered)
        {
            if (expiresAt <= now)
            {
                State.Answered.Remove(id);
                _candidates.Remove(id);
            }
        }
        State.Answers.RemoveAll(a => a.ExpiresAt <= now);
    }

    private async Task SaveAsync()
    {
        if (State.Offers.Count == 0 && State.Answers.Count == 0 && State.Answered.Count == 0)
        {
            if (_peer.RecordExists)
            {
                await _peer.ClearStateAsync();
            }
            return;
        }
        await _peer.WriteStateAsync();
    }

    /// <summary>The other side's candidates per offer, each stamped with the cursor clock when it arrived.</summary>
    private sealed class Mailbox
    {
        private readonly Dictionary<string, List<(IceCandidate Candidate, long DeliveredAt)>> _byOffer = [];

        /// <summary>Adds the candidates not already held (a refill may overlap a delivery); true when any was new.</summary>
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
