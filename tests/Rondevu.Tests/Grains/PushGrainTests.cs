using Rondevu.Grains;

namespace Rondevu.Tests.Grains;

/// <summary>Push delivery at the grain level: the peer grain's mailbox, its waiters and its poll cursor.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class PushGrainTests(GrainClusterFixture cluster)
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Released = TimeSpan.FromSeconds(10);

    /// <summary>True once the peer holds its maximum of waiting calls: a further wait is refused at once.
    /// The probe asks for answers newer than any there can be, so it is never answered from news.</summary>
    private static async Task<bool> WaitersFullAsync(IPeerGrain peer) =>
        (await peer.WaitForAnswersAsync(long.MaxValue, TimeSpan.FromMilliseconds(1), CancellationToken.None)).Status == WaitStatus.TooManyWaiters;

    /// <summary>
    /// Starts waits until the peer holds its maximum of them. A probe is itself a waiter for its
    /// millisecond, and calls may arrive in any order, so a wait refused because of a probe is started again.
    /// </summary>
    private static async Task<Task<AnswersWait>[]> ParkAllWaitersAsync(IPeerGrain peer, CancellationToken cancellationToken)
    {
        var waits = new List<Task<AnswersWait>>();
        await GrainClusterFixture.Eventually(async () =>
        {
            waits.RemoveAll(w => w.IsCompletedSuccessfully && w.Result.Status == WaitStatus.TooManyWaiters);
            Assert.All(waits, w => Assert.False(w.IsCompleted, "a parked wait ended without news"));
            if (waits.Count < GrainClusterFixture.MaxWaitersPerPeer)
            {
                // Probe on the next round, so the probe doesn't race the waits it checks.
                while (waits.Count < GrainClusterFixture.MaxWaitersPerPeer)
                {
                    waits.Add(peer.WaitForAnswersAsync(null, Long, cancellationToken));
                }
                return false;
            }
            return await WaitersFullAsync(peer);
        }, TimeSpan.FromSeconds(5), "the waits to be parked in the peer grain");
        return waits.ToArray();
    }

    [Fact]
    public async Task Parked_answer_waits_are_released_by_the_answer_and_the_peer_caps_its_waiters()
    {
        const int maxWaiters = GrainClusterFixture.MaxWaitersPerPeer;
        var owner = Ids.New();
        var peer = cluster.Peer(owner);
        var offer = await cluster.PublishOneAsync(owner, [GrainClusterFixture.UniqueTopic("push-answer")]);

        var empty = await peer.WaitForAnswersAsync(null, TimeSpan.FromMilliseconds(200), CancellationToken.None);
        Assert.Equal(WaitStatus.TimedOut, empty.Status);
        Assert.Empty(empty.Answers);

        var waits = await ParkAllWaitersAsync(peer, CancellationToken.None);
        Assert.Equal(maxWaiters, waits.Length);

        var answerer = Ids.New();
        var answer = await cluster.Offer(offer.Id).AnswerAsync(answerer, "answer sdp", null);
        Assert.Equal(OfferOutcome.Ok, answer.Outcome);

        var results = await Task.WhenAll(waits).WaitAsync(Released);
        Assert.All(results, r =>
        {
            Assert.Equal(WaitStatus.Ready, r.Status);
            var notice = Assert.Single(r.Answers);
            Assert.Equal((offer.Id, answerer, "answer sdp", answer.AnsweredAt), (notice.OfferId, notice.AnswererId, notice.Sdp, notice.AnsweredAt));
        });

        // The slots are free again, and `since` = the answer's time waits for a newer one.
        Assert.False(await WaitersFullAsync(peer));
        var newer = await peer.WaitForAnswersAsync(answer.AnsweredAt, TimeSpan.FromMilliseconds(200), CancellationToken.None);
        Assert.Equal(WaitStatus.TimedOut, newer.Status);
        Assert.Empty(newer.Answers);
        var older = await peer.WaitForAnswersAsync(answer.AnsweredAt - 1, Long, CancellationToken.None);
        Assert.Equal(WaitStatus.Ready, older.Status);
    }

    [Fact]
    public async Task Cancelling_parked_waits_frees_their_slots()
    {
        var peer = cluster.Peer(Ids.New());
        using var caller = new CancellationTokenSource();
        var waits = await ParkAllWaitersAsync(peer, caller.Token);

        caller.Cancel();

        foreach (var wait in waits)
        {
            try
            {
                Assert.NotEqual(WaitStatus.Ready, (await wait.WaitAsync(Released)).Status);
            }
            catch (OperationCanceledException)
            {
                // Either the call reports the cancellation or it ends as timed out: both end early.
            }
        }
        await GrainClusterFixture.Eventually(async () => !await WaitersFullAsync(peer), TimeSpan.FromSeconds(5),
            "the grain to let go of the cancelled waits (else the peer is locked out for the whole wait)");
    }

    [Fact]
    public async Task Candidate_waits_are_released_only_by_the_other_side()
    {
        var offerer = Ids.New();
        var answerer = Ids.New();
        var offerId = (await cluster.PublishOneAsync(offerer, [GrainClusterFixture.UniqueTopic("push-ice")])).Id;
        var offer = cluster.Offer(offerId);

        // The offerer's candidates posted before the answer reach the answerer's mailbox on answering.
        await offer.AddCandidatesAsync(offerer, ["\"early\""]);
        Assert.Equal(OfferOutcome.Ok, (await offer.AnswerAsync(answerer, "answer", null)).Outcome);
        Assert.Equal(WaitStatus.Ready, await cluster.Peer(answerer).WaitForCandidatesAsync(offerId, null, TimeSpan.FromMilliseconds(200), CancellationToken.None));

        // The offerer's own candidates never wake the offerer.
        await offer.AddCandidatesAsync(offerer, ["\"own\""]);
        Assert.Equal(WaitStatus.TimedOut, await cluster.Peer(offerer).WaitForCandidatesAsync(offerId, null, TimeSpan.FromMilliseconds(200), CancellationToken.None));

        var waiting = await GrainClusterFixture.ParkedWaits.StartAsync(offerer,
            () => cluster.Peer(offerer).WaitForCandidatesAsync(offerId, null, Long, CancellationToken.None));
        await offer.AddCandidatesAsync(answerer, ["\"from answerer\""]);
        Assert.Equal(WaitStatus.Ready, await waiting.WaitAsync(Released));

        var last = (await offer.GetCandidatesAsync(offerer, null)).Candidates[^1].CreatedAt;
        Assert.Equal(WaitStatus.TimedOut, await cluster.Peer(offerer).WaitForCandidatesAsync(offerId, last, TimeSpan.FromMilliseconds(200), CancellationToken.None));
        Assert.Equal(WaitStatus.Ready, await cluster.Peer(offerer).WaitForCandidatesAsync(offerId, last - 1, Long, CancellationToken.None));
    }

    [Fact]
    public async Task Chained_poll_cursors_see_every_answer_and_candidate_exactly_once()
    {
        const int offers = 4;
        const int perAnswerer = 10;
        var owner = Ids.New();
        var peer = cluster.Peer(owner);
        var result = await peer.PublishAsync(Enumerable.Range(0, offers)
            .Select(i => new OfferDraft($"sdp {i}", [GrainClusterFixture.UniqueTopic("push-poll")], GrainClusterFixture.LongTtl, null, null)).ToArray());
        Assert.False(result.PeerLimitReached);

        var writersDone = false;
        var answersSeen = new List<string>();
        var candidatesSeen = new List<(string OfferId, string Json, long CreatedAt)>();
        var poller = Task.Run(async () =>
        {
            long? cursor = null;
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (DateTime.UtcNow < deadline)
            {
                var done = Volatile.Read(ref writersDone);
                var page = await peer.PollAsync(cursor, done ? TimeSpan.Zero : TimeSpan.FromMilliseconds(100), CancellationToken.None);
                Assert.NotEqual(WaitStatus.TooManyWaiters, page.Status);
                Assert.True(cursor is null || page.Timestamp >= cursor, "the cursor went backwards");
                answersSeen.AddRange(page.Answers.Select(a => a.OfferId));
                candidatesSeen.AddRange(page.Candidates.Select(c => (c.OfferId, c.Candidate.Json, c.Candidate.CreatedAt)));
                cursor = page.Timestamp;
                if (done && page.Answers.Length == 0 && page.Candidates.Length == 0)
                {
                    return;
                }
            }
            Assert.Fail("the poller never caught up");
        });

        // Each answerer answers one offer and fires its candidates one by one, all at once, as the client does.
        var expected = new List<(string OfferId, string Json)>();
        var writers = result.Offers.Select(async (offer, i) =>
        {
            var answerer = Ids.New();
            Assert.Equal(OfferOutcome.Ok, (await cluster.Offer(offer.Id).AnswerAsync(answerer, "answer", null)).Outcome);
            var jsons = Enumerable.Range(0, perAnswerer).Select(k => $"\"{i}:{k}\"").ToArray();
            lock (expected)
            {
                expected.AddRange(jsons.Select(j => (offer.Id, j)));
            }
            await Task.WhenAll(jsons.Select(j => cluster.Offer(offer.Id).AddCandidatesAsync(answerer, [j])));
        }).ToArray();
        await Task.WhenAll(writers);
        Volatile.Write(ref writersDone, true);
        await poller;

        Assert.Equal(result.Offers.Select(o => o.Id).Order(), answersSeen.Order());
        Assert.Equal(
            expected.OrderBy(e => e.OfferId, StringComparer.Ordinal).ThenBy(e => e.Json, StringComparer.Ordinal),
            candidatesSeen.Select(c => (c.OfferId, c.Json)).OrderBy(e => e.OfferId, StringComparer.Ordinal).ThenBy(e => e.Json, StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_poll_after_the_peer_grain_lost_its_memory_still_returns_what_came_after_the_cursor()
    {
        var offerer = Ids.New();
        var answerer = Ids.New();
        var peer = cluster.Peer(offerer);
        var offerId = (await cluster.PublishOneAsync(offerer, [GrainClusterFixture.UniqueTopic("push-refill")])).Id;
        Assert.Equal(OfferOutcome.Ok, (await cluster.Offer(offerId).AnswerAsync(answerer, "answer", null)).Outcome);
        var first = await peer.PollAsync(null, TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(offerId, Assert.Single(first.Answers).OfferId);

        // Delivered to this activation's in-memory mailbox only; then the activation goes away.
        await cluster.Offer(offerId).AddCandidatesAsync(answerer, ["\"after the cursor\""]);
        await cluster.Cluster.DeactivateAsync(peer);
        await cluster.Cluster.WaitForDeactivationAsync(peer);

        var next = await peer.PollAsync(first.Timestamp, TimeSpan.Zero, CancellationToken.None);
        Assert.Contains(next.Candidates, c => c.OfferId == offerId && c.Candidate.Json == "\"after the cursor\"");
        Assert.True(next.Timestamp >= first.Timestamp);
    }

    [Fact]
    public async Task A_cursor_from_the_future_returns_everything_rather_than_skip()
    {
        var owner = Ids.New();
        var peer = cluster.Peer(owner);
        var offerId = (await cluster.PublishOneAsync(owner, [GrainClusterFixture.UniqueTopic("push-future")])).Id;
        Assert.Equal(OfferOutcome.Ok, (await cluster.Offer(offerId).AnswerAsync(Ids.New(), "answer", null)).Outcome);

        var future = GrainClusterFixture.Now + 3_600_000;
        var page = await peer.PollAsync(future, TimeSpan.Zero, CancellationToken.None);

        Assert.Equal(offerId, Assert.Single(page.Answers).OfferId);
        Assert.True(page.Timestamp >= future);
    }
}
