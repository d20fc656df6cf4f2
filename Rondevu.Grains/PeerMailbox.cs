namespace Rondevu.Grains;

/// <summary>
/// A peer's mailbox, in memory: the answers to its offers and the other side's candidates on every offer it
/// owns or answered. Each delivery is stamped with the cursor clock, above every timestamp handed out
/// before it, so a poll that passes back the timestamp it got never skips anything.
/// Not thread-safe: the peer grain's scheduler serializes every call.
/// </summary>
internal sealed class PeerMailbox(TimeProvider clock)
{
    private readonly List<AnswerNotice> _answers = [];
    private readonly Dictionary<string, List<(IceCandidate Candidate, long DeliveredAt)>> _candidates = [];
    private long _lastIssued;

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Adds the answer unless this very answer is already here (a redelivery); true when it was new.</summary>
    public bool AddAnswer(AnswerNotice answer)
    {
        if (_answers.Exists(a => a.OfferId == answer.OfferId && a.AnsweredAt == answer.AnsweredAt))
        {
            return false;
        }
        _answers.RemoveAll(a => a.OfferId == answer.OfferId);
        _answers.Add(answer with { DeliveredAt = Stamp() });
        return true;
    }

    /// <summary>Adds the candidates not already held (a redelivery may overlap a delivery); true when any was new.</summary>
    public bool AddCandidates(string offerId, IceCandidate[] candidates)
    {
        if (candidates.Length == 0)
        {
            return false;
        }
        if (!_candidates.TryGetValue(offerId, out var held))
        {
            _candidates[offerId] = held = [];
        }
        var added = false;
        var deliveredAt = Stamp();
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

    public void Forget(string offerId)
    {
        _candidates.Remove(offerId);
        _answers.RemoveAll(a => a.OfferId == offerId);
    }

    public void ForgetCandidates(string offerId) => _candidates.Remove(offerId);

    public void ForgetExpiredAnswers(long now) => _answers.RemoveAll(a => a.ExpiresAt <= now);

    /// <summary>Answers still live, answered after <paramref name="since"/>, oldest first.</summary>
    public AnswerNotice[] AnswersAfter(long? since)
    {
        var now = Now;
        var after = since ?? long.MinValue;
        return _answers.Where(a => a.ExpiresAt > now && a.AnsweredAt > after).OrderBy(a => a.AnsweredAt).ToArray();
    }

    public bool HasCandidateCreatedAfter(string offerId, long? since) =>
        _candidates.TryGetValue(offerId, out var held) && held.Exists(h => h.Candidate.CreatedAt > (since ?? long.MinValue));

    /// <summary>Where a poll with cursor <paramref name="since"/> starts. A cursor this mailbox never issued (a
    /// silo died, or the client made it up) can't be compared with its stamps: everything is returned then,
    /// rather than risk a skip.</summary>
    public long CursorFrom(long? since)
    {
        var after = since ?? long.MinValue;
        if (after <= _lastIssued)
        {
            return after;
        }
        _lastIssued = after;
        return long.MinValue;
    }

    /// <summary>Whether <see cref="Page"/> would return anything, without sorting: waiters ask on every delivery.</summary>
    public bool HasDeliveriesAfter(long after, Func<string, bool> isLive)
    {
        var now = Now;
        return _answers.Exists(a => a.DeliveredAt > after && a.ExpiresAt > now)
            || _candidates.Any(offer => isLive(offer.Key) && offer.Value.Exists(held => held.DeliveredAt > after));
    }

    /// <summary>Everything delivered after the cursor, oldest first, and the next cursor.</summary>
    public PollPage Page(WaitStatus status, long after, Func<string, bool> isLive)
    {
        if (status == WaitStatus.TooManyWaiters)
        {
            return new PollPage(status, [], [], _lastIssued);
        }
        var now = Now;
        var answers = _answers.Where(a => a.DeliveredAt > after && a.ExpiresAt > now).OrderBy(a => a.DeliveredAt).ToArray();
        var candidates = (
            from offer in _candidates
            where isLive(offer.Key)
            from held in offer.Value
            where held.DeliveredAt > after
            orderby held.DeliveredAt, held.Candidate.CreatedAt
            select new PolledCandidate(offer.Key, held.Candidate)).ToArray();
        _lastIssued = Math.Max(_lastIssued, now);
        return new PollPage(status, answers, candidates, _lastIssued);
    }

    private long Stamp() => _lastIssued = Math.Max(Now, _lastIssued + 1);
}
