using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Rondevu.Grains;

/// <remarks>
/// The source of truth for one offer, and the only grain with persisted state: its record also says
/// who owns it, who answered it and its topics, which is all the peer and topic grains need to find
/// it again (see <see cref="IOfferCatalog"/>). Its owner's peer grain writes the record of a new offer,
/// so an offer that only waits to be discovered costs no activation; this grain takes over from the
/// first answer, read or change. Not reentrant, and its state is an immutable record
/// replaced on every change, so nothing alters a state while its write is in flight.
/// Collected after two idle minutes instead of Orleans' default fifteen: an offer mostly waits to be
/// discovered, and an activation costs several times what its stored state does.
/// </remarks>
[CollectionAgeLimit(Minutes = 2)]
public sealed class OfferGrain(
    [PersistentState("offer", RondevuSiloExtensions.StorageName)] IPersistentState<OfferState> offer,
    IOptions<RondevuOptions> options,
    TimeProvider clock,
    RondevuMetrics metrics,
    ILogger<OfferGrain> logger) : Grain, IOfferGrain
{
    private IGrainTimer? _answeredExpiry;
    private string? _id;

    private OfferState State => offer.State;
    /// <summary>Kept: Orleans decodes a new string from the grain id on every <c>GetPrimaryKeyString</c>.</summary>
    private string Id => _id ??= this.GetPrimaryKeyString();
    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();
    private bool IsLive => offer.RecordExists && State.IsLiveAt(Now);

    [ReadOnly]
    public Task<OfferView?> GetAsync() => Task.FromResult(IsLive ? State.ToView(Id) : null);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (offer.RecordExists && !IsLive)
        {
            // Expired while no silo ran: clean up now rather than at the next sweep.
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

    public async Task<AnswerResult> AnswerAsync(string answererId, Utf8Text sdp, string? secret)
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
            if (outcome == OfferOutcome.AlreadyAnswered)
            {
                logger.LogDebug("Offer {OfferId}: {AnswererId} lost the answer race to {Winner}", Id, answererId, State.AnswererPeerId);
            }
            return new AnswerResult(outcome, 0);
        }

        var now = Now;
        await SaveAsync(State with
        {
            AnswererPeerId = answererId,
            AnswerSdp = sdp,
            AnsweredAt = now,
            ExpiresAt = Math.Min(State.ExpiresAt, now + options.Value.AnsweredOfferTtl),
        });
        await DeliverAnswerAsync();
        ScheduleAnsweredExpiry();
        metrics.OffersAnswered.Add(1);
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
        var side = role == IceRole.Offerer ? State.OffererCandidates : State.AnswererCandidates;
        if (side.Length + candidates.Length > options.Value.MaxIceCandidatesPerOffer)
        {
            return new CandidatesAdded(OfferOutcome.CandidateLimit, 0);
        }

        // A strictly increasing clock per side, so `since` = the last createdAt seen never skips one.
        var createdAt = Math.Max(Now, side.Length > 0 ? side[^1].CreatedAt + 1 : 0);
        var added = candidates.Select(candidate => new IceCandidate(candidate, peerId, role, createdAt++)).ToArray();
        await SaveAsync(role == IceRole.Offerer
            ? State with { OffererCandidates = [.. side, .. added] }
            : State with { AnswererCandidates = [.. side, .. added] });
        metrics.CandidatesPosted.Add(added.Length);

        // Push: the other side's mailbox hears of them before the post is acknowledged.
        var otherSide = role == IceRole.Offerer ? State.AnswererPeerId : State.PeerId;
        if (otherSide is not null)
        {
            await GrainFactory.GetPeerInbox(otherSide).CandidatesPostedAsync(Id, added);
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
        var other = role == IceRole.Offerer ? State.AnswererCandidates : State.OffererCandidates;
        var after = since ?? long.MinValue;
        return Task.FromResult(new CandidatesRead(OfferOutcome.Ok, other.Where(c => c.CreatedAt > after).ToArray()));
    }

    public async Task<long?> HeartbeatAsync(string peerId)
    {
        if (!IsLive || peerId != State.PeerId)
        {
            return null;
        }
        var lastSeen = Now;
        await SaveAsync(State with { LastSeen = lastSeen });
        var topics = State.AnswererPeerId is null ? State.Topics : [];
        await Task.WhenAll(topics
            .Select(topic => GrainFactory.GetTopicGrain(topic).TouchAsync(Id, lastSeen))
            .Append(GrainFactory.GetPeerInbox(State.PeerId).OfferTouchedAsync(Id, lastSeen)));
        return lastSeen;
    }

    public async Task<bool> DeleteAsync(string peerId)
    {
        if (!IsLive || peerId != State.PeerId)
        {
            return false;
        }
        await RemoveEverywhereAsync();
        metrics.OffersDeleted.Add(1);
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
        metrics.OffersExpired.Add(1);
        logger.LogDebug("Offer {OfferId} expired and was swept", Id);
        return true;
    }

    /// <summary>The offer leaves discovery and reaches both peers' mailboxes before the answer is acknowledged.</summary>
    private Task DeliverAnswerAsync()
    {
        var answererId = State.AnswererPeerId!;
        return Task.WhenAll(State.Topics
            .Select(topic => GrainFactory.GetTopicGrain(topic).RemoveAsync(Id))
            .Append(GrainFactory.GetPeerInbox(State.PeerId).OfferAnsweredAsync(State.ToAnswerNotice(Id)))
            .Append(GrainFactory.GetPeerInbox(answererId).OfferJoinedAsync(Id, State.ExpiresAt, State.OffererCandidates)));
    }

    /// <summary>Cleans up an answered offer when its shortened life ends, so its candidates leave memory on
    /// time; should this silo die first, the sweep cleans up instead.</summary>
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

    /// <summary>The record goes first: once it is gone no activation can find the offer again, and the
    /// in-memory views are told after. Should that fail, those views drop it when they next reload.</summary>
    private async Task RemoveEverywhereAsync()
    {
        var removed = State;
        await offer.ClearStateAsync();
        metrics.ActiveOffers.Add(-1);
        _answeredExpiry?.Dispose();
        DeactivateOnIdle();
        var topics = removed.AnswererPeerId is null ? removed.Topics : [];
        var peers = removed.AnswererPeerId is null ? [removed.PeerId] : new[] { removed.PeerId, removed.AnswererPeerId };
        await Task.WhenAll(topics
            .Select(topic => GrainFactory.GetTopicGrain(topic).RemoveAsync(Id))
            .Concat(peers.Select(peer => GrainFactory.GetPeerInbox(peer).OfferRemovedAsync(Id))));
        logger.LogDebug("Offer {OfferId} removed", Id);
    }

    /// <summary>Writes the next state; on failure the previous one stays and the activation is dropped, so the
    /// next call reloads what is stored.</summary>
    private async Task SaveAsync(OfferState next)
    {
        var previous = offer.State;
        offer.State = next;
        try
        {
            await offer.WriteStateAsync();
        }
        catch (Exception error)
        {
            offer.State = previous;
            DeactivateOnIdle();
            logger.LogWarning(error, "Offer {OfferId}: writing its state failed", Id);
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
}
