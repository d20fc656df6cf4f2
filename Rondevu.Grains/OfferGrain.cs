using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Rondevu.Grains;

[GenerateSerializer, Alias("Rondevu.OfferState")]
public sealed class OfferState
{
    [Id(0)] public string PeerId { get; set; } = "";
    [Id(1)] public string Sdp { get; set; } = "";
    [Id(2)] public string[] Topics { get; set; } = [];
    [Id(3)] public long CreatedAt { get; set; }
    [Id(4)] public long ExpiresAt { get; set; }
    [Id(5)] public long LastSeen { get; set; }
    [Id(6)] public string? Secret { get; set; }
    [Id(7)] public string? Info { get; set; }
    [Id(8)] public string? AnswererPeerId { get; set; }
    [Id(9)] public string? AnswerSdp { get; set; }
    [Id(10)] public long? AnsweredAt { get; set; }
    /// <summary>Null until the side posts one: most offers wait without any, and an idle offer's memory counts.</summary>
    [Id(11)] public List<IceCandidate>? OffererCandidates { get; set; }
    [Id(12)] public List<IceCandidate>? AnswererCandidates { get; set; }
}

/// <remarks>
/// Collected after two idle minutes instead of Orleans' default fifteen: an offer mostly waits to be
/// discovered, and an activation costs several times what its stored state does. A later call
/// reactivates it from storage.
/// </remarks>
[CollectionAgeLimit(Minutes = 2)]
public sealed class OfferGrain(
    [PersistentState("offer", RondevuSiloExtensions.StorageName)] IPersistentState<OfferState> offer,
    IOptions<RondevuOptions> options,
    TimeProvider clock,
    ILogger<OfferGrain> logger) : Grain, IOfferGrain
{
    private IGrainTimer? _answeredExpiry;

    private OfferState State => offer.State;
    private string Id => this.GetPrimaryKeyString();
    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();
    private bool IsLive => offer.RecordExists && Now < State.ExpiresAt;

    public async Task<OfferView> CreateAsync(string peerId, OfferDraft draft)
    {
        if (offer.RecordExists)
        {
            throw new InvalidOperationException($"Offer {Id} already exists");
        }
        var now = Now;
        offer.State = new OfferState
        {
            PeerId = peerId,
            Sdp = draft.Sdp,
            Topics = draft.Topics,
            CreatedAt = now,
            ExpiresAt = now + draft.TtlMs,
            LastSeen = now,
            Secret = draft.Secret,
            Info = draft.Info,
        };
        await SaveAsync();
        var entry = ToTopicEntry();
        await Task.WhenAll(State.Topics.Select(topic => GrainFactory.GetTopicGrain(topic).AddAsync(entry)));
        RondevuMetrics.OffersCreated.Add(1);
        RondevuMetrics.ActiveOffers.Add(1);
        return ToView();
    }

    [ReadOnly]
    public Task<OfferView?> GetAsync() => Task.FromResult(IsLive ? ToView() : null);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (offer.RecordExists && !IsLive)
        {
            // Expired while no silo ran: clean up now rather than at the owner's next sweep.
            this.RegisterGrainTimer(_ => ExpireAsync(), new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        }
        else if (IsLive && State.AnswererPeerId is not null)
        {
            // A silo may have died between storing the answer and delivering it: deliver it again
            // (the peers take it idempotently), off the activation path, and end the offer on time.
            this.RegisterGrainTimer(_ => DeliverAnswerAsync(), new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
            ScheduleAnsweredExpiry();
        }
        return Task.CompletedTask;
    }

    public async Task<AnswerResult> AnswerAsync(string answererId, string sdp, string? secret)
    {
        if (IsLive && State.AnswererPeerId == answererId && State.AnswerSdp == sdp)
        {
            // The same answer again: its first reply was lost. Same result, delivered again.
            await DeliverAnswerAsync();
            return new AnswerResult(OfferOutcome.Ok, State.AnsweredAt!.Value);
        }
        var outcome = !IsLive ? OfferOutcome.NotFound
            : answererId == State.PeerId ? OfferOutcome.OwnOffer
            : State.AnswererPeerId is not null ? OfferOutcome.AlreadyAnswered
            : !SecretMatches(secret) ? OfferOutcome.WrongSecret
            : OfferOutcome.Ok;
        if (outcome != OfferOutcome.Ok)
        {
            return new AnswerResult(outcome, 0);
        }

        var now = Now;
        State.AnswererPeerId = answererId;
        State.AnswerSdp = sdp;
        State.AnsweredAt = now;
        State.ExpiresAt = Math.Min(State.ExpiresAt, now + options.Value.AnsweredOfferTtl);
        await SaveAsync();
        await DeliverAnswerAsync();
        ScheduleAnsweredExpiry();
        RondevuMetrics.OffersAnswered.Add(1);
        return new AnswerResult(OfferOutcome.Ok, now);
    }

    public async Task<CandidatesAdded> AddCandidatesAsync(string peerId, string[] candidates)
    {
        if (!IsLive)
        {
            return new CandidatesAdded(OfferOutcome.NotFound, 0);
        }
        if (RoleOf(peerId) is not { } role)
        {
            return new CandidatesAdded(OfferOutcome.NotParticipant, 0);
        }
        var side = role == IceRole.Offerer ? State.OffererCandidates ??= [] : State.AnswererCandidates ??= [];
        if (side.Count + candidates.Length > options.Value.MaxIceCandidatesPerOffer)
        {
            return new CandidatesAdded(OfferOutcome.CandidateLimit, 0);
        }

        // A strictly increasing clock per side, so `since` = the last createdAt seen never skips one.
        var createdAt = Math.Max(Now, side.Count > 0 ? side[^1].CreatedAt + 1 : 0);
        var added = candidates.Select(candidate => new IceCandidate(candidate, peerId, role, createdAt++)).ToArray();
        side.AddRange(added);
        await SaveAsync();
        RondevuMetrics.CandidatesPosted.Add(added.Length);

        // Push: the other side's mailbox hears of them before the post is acknowledged.
        var otherSide = role == IceRole.Offerer ? State.AnswererPeerId : State.PeerId;
        if (otherSide is not null)
        {
            await GrainFactory.GetPeerGrain(otherSide).CandidatesPostedAsync(Id, added);
        }
        return new CandidatesAdded(OfferOutcome.Ok, candidates.Length);
    }

    [ReadOnly]
    public Task<CandidatesRead> GetCandidatesAsync(string peerId, long? since)
    {
        if (!IsLive)
        {
            return Task.FromResult(new CandidatesRead(OfferOutcome.NotFound, []));
        }
        if (RoleOf(peerId) is not { } role)
        {
            return Task.FromResult(new CandidatesRead(OfferOutcome.NotParticipant, []));
        }
        var other = (role == IceRole.Offerer ? State.AnswererCandidates : State.OffererCandidates) ?? [];
        var after = since ?? long.MinValue;
        return Task.FromResult(new CandidatesRead(OfferOutcome.Ok, other.Where(c => c.CreatedAt > after).ToArray()));
    }

    public async Task<long?> HeartbeatAsync(string peerId)
    {
        if (!IsLive || peerId != State.PeerId)
        {
            return null;
        }
        State.LastSeen = Now;
        await SaveAsync();
        if (State.AnswererPeerId is null)
        {
            await Task.WhenAll(State.Topics.Select(topic =>
                GrainFactory.GetTopicGrain(topic).TouchAsync(Id, State.LastSeen)));
        }
        return State.LastSeen;
    }

    public async Task<bool> DeleteAsync(string peerId)
    {
        if (!IsLive || peerId != State.PeerId)
        {
            return false;
        }
        await RemoveEverywhereAsync();
        RondevuMetrics.OffersDeleted.Add(1);
        return true;
    }

    public async Task<bool> ExpireAsync()
    {
        if (!offer.RecordExists)
        {
            DeactivateOnIdle();
            return true;
        }
        if (IsLive)
        {
            return false;
        }
        await RemoveEverywhereAsync();
        RondevuMetrics.OffersExpired.Add(1);
        return true;
    }

    /// <summary>The offer leaves discovery and reaches both peers' mailboxes before the answer is acknowledged.</summary>
    private Task DeliverAnswerAsync()
    {
        var answererId = State.AnswererPeerId!;
        var notice = new AnswerNotice(Id, answererId, State.AnswerSdp!, State.AnsweredAt!.Value, State.Topics, State.ExpiresAt);
        return Task.WhenAll(State.Topics
            .Select(topic => GrainFactory.GetTopicGrain(topic).RemoveAsync(Id))
            .Append(GrainFactory.GetPeerGrain(State.PeerId).OfferAnsweredAsync(notice))
            .Append(GrainFactory.GetPeerGrain(answererId).OfferJoinedAsync(Id, State.ExpiresAt, State.OffererCandidates?.ToArray() ?? [])));
    }

    /// <summary>Cleans up an answered offer when its shortened life ends, so its candidates leave memory on
    /// time; should this silo die first, the owner's sweep (a reminder) cleans up instead.</summary>
    private void ScheduleAnsweredExpiry()
    {
        _answeredExpiry?.Dispose();
        var due = TimeSpan.FromMilliseconds(Math.Max(0, State.ExpiresAt - Now) + 1);
        _answeredExpiry = this.RegisterGrainTimer(
            _ =>
            {
                if (offer.RecordExists && IsLive)
                {
                    // Timers may fire a little early against the millisecond clock: try again at expiry.
                    ScheduleAnsweredExpiry();
                    return Task.CompletedTask;
                }
                return ExpireAsync();
            },
            new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    private async Task RemoveEverywhereAsync()
    {
        var topics = State.AnswererPeerId is null ? State.Topics : [];
        var peers = State.AnswererPeerId is null ? [State.PeerId] : new[] { State.PeerId, State.AnswererPeerId };
        await Task.WhenAll(topics
            .Select(topic => GrainFactory.GetTopicGrain(topic).RemoveAsync(Id))
            .Concat(peers.Select(peer => GrainFactory.GetPeerGrain(peer).OfferRemovedAsync(Id))));
        await offer.ClearStateAsync();
        RondevuMetrics.ActiveOffers.Add(-1);
        _answeredExpiry?.Dispose();
        DeactivateOnIdle();
        logger.LogDebug("Offer {OfferId} removed", Id);
    }

    /// <summary>Writes the state; on failure the activation is dropped so the next call reloads what is stored.</summary>
    private async Task SaveAsync()
    {
        try
        {
            await offer.WriteStateAsync();
        }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }

    private IceRole? RoleOf(string peerId) =>
        peerId == State.PeerId ? IceRole.Offerer
        : peerId == State.AnswererPeerId ? IceRole.Answerer
        : null;

    private bool SecretMatches(string? given)
    {
        if (State.Secret is null)
        {
            return true;
        }
        // Comparing digests keeps the comparison constant-time and hides the secret's length.
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(State.Secret));
        var actual = SHA256.HashData(Encoding.UTF8.GetBytes(given ?? ""));
        return given is not null && CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    private TopicEntry ToTopicEntry() => new(
        Id, State.PeerId, State.Sdp, State.Topics, State.ExpiresAt, State.LastSeen, State.Secret is not null, State.Info);

    private OfferView ToView() => new(
        Id, State.PeerId, State.Sdp, State.Topics, State.CreatedAt, State.ExpiresAt, State.LastSeen,
        State.Secret, State.Info, State.AnswererPeerId, State.AnsweredAt);
}
