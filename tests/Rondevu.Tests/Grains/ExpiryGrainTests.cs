using Rondevu.Grains;

namespace Rondevu.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class ExpiryGrainTests(GrainClusterFixture cluster)
{
    private static readonly TimeSpan CleanupDeadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Expired_offer_vanishes_from_every_read_and_the_sweep_removes_every_trace()
    {
        var owner = Ids.New();
        var t1 = GrainClusterFixture.UniqueTopic("expiry-a");
        var t2 = GrainClusterFixture.UniqueTopic("expiry-b");
        var offer = await cluster.PublishOneAsync(owner, [t1, t2], ttlMs: 2_000);
        var grain = cluster.Offer(offer.Id);
        Assert.NotNull(await grain.GetAsync());
        Assert.Equal(1, await cluster.IndexedPeersAsync(t1));
        Assert.True(await GrainClusterFixture.IsStoredAsync(offer.Id));
        // One reminder for the whole service, none per peer or offer.
        Assert.Equal(1, await cluster.RemindersOfAsync(cluster.Grains.GetGrain<IOfferSweeperGrain>(0)));
        Assert.Equal(0, await cluster.RemindersOfAsync(cluster.Peer(owner)));
        Assert.Equal(0, await cluster.RemindersOfAsync(grain));

        // Up to expiresAt the offer is live; past it every read hides the offer before any cleanup has run.
        using (GrainClusterFixture.Catalog.Hold())
        {
            GrainClusterFixture.AdvanceTo(offer.ExpiresAt - 1);
            Assert.NotNull(await grain.GetAsync());
            GrainClusterFixture.AdvanceTo(offer.ExpiresAt);
            Assert.Null(await grain.GetAsync());
            foreach (var topic in new[] { t1, t2 })
            {
                var page = await cluster.Topic(topic).DiscoverAsync(50, null);
                Assert.Equal(0, page.Total);
                Assert.Empty(page.Offers);
                Assert.Null(await cluster.IndexedPeersAsync(topic));
            }
            Assert.Empty(await cluster.Peer(owner).GetOffersAsync());
            Assert.Equal(OfferOutcome.NotFound, (await grain.AnswerAsync(Ids.New(), "late", null)).Outcome);
            Assert.Null(await grain.HeartbeatAsync(owner));
            Assert.False(await grain.DeleteAsync(owner));
            Assert.True(await GrainClusterFixture.IsStoredAsync(offer.Id));
        }

        // The sweep clears the stored record and every index of it before it returns.
        await cluster.Grains.GetGrain<IOfferSweeperGrain>(0).SweepAsync();
        Assert.False(await GrainClusterFixture.IsStoredAsync(offer.Id));
        Assert.Empty(await GrainClusterFixture.Store.ListedInAsync(t1));
        Assert.Empty(await GrainClusterFixture.Store.ListedInAsync(t2));
        Assert.Empty(await GrainClusterFixture.Store.OwnedByAsync(owner));

        // The expired offer no longer takes one of the peer's slots.
        var refill = await cluster.Peer(owner).PublishAsync(Enumerable.Range(0, GrainClusterFixture.MaxOffersPerPeer)
            .Select(_ => new OfferDraft("sdp", [t1], GrainClusterFixture.LongTtl, null, null)).ToArray());
        Assert.False(refill.PeerLimitReached);
    }

    [Fact]
    public async Task Answered_offers_are_cleaned_up_by_their_own_timer_after_the_answered_ttl()
    {
        // Answered a millisecond apart, so each offer's cleanup is due at a different time.
        const int count = 3;
        var topic = GrainClusterFixture.UniqueTopic("expiry-answered");
        var pairs = Enumerable.Range(0, count).Select(_ => (Owner: Ids.New(), Answerer: Ids.New())).ToArray();
        var offers = await Task.WhenAll(pairs.Select(p => cluster.PublishOneAsync(p.Owner, [topic])));
        var answers = new List<AnswerResult>();
        foreach (var (offer, pair) in offers.Zip(pairs))
        {
            GrainClusterFixture.Clock.Advance(TimeSpan.FromMilliseconds(1));
            answers.Add(await cluster.Offer(offer.Id).AnswerAsync(pair.Answerer, "answer", null));
        }
        Assert.All(answers, a => Assert.Equal(OfferOutcome.Ok, a.Outcome));
        Assert.Null(await cluster.IndexedPeersAsync(topic));

        var (owner, answerer) = pairs[0];
        var grain = cluster.Offer(offers[0].Id);
        Assert.Single(await cluster.Peer(owner).GetAnswersAsync(null));
        Assert.Single(await cluster.Peer(owner).GetOffersAsync());

        // The sweep is held off: the original TTL is minutes away, so the cleanup is each answered offer's own work.
        using var noSweep = GrainClusterFixture.Catalog.Hold();
        GrainClusterFixture.AdvanceTo(answers[0].AnsweredAt + GrainClusterFixture.AnsweredOfferTtl - 1);
        Assert.NotNull(await grain.GetAsync());
        Assert.True(await GrainClusterFixture.IsStoredAsync(offers[0].Id));

        GrainClusterFixture.AdvanceTo(answers.Max(a => a.AnsweredAt) + GrainClusterFixture.AnsweredOfferTtl + 1);
        Assert.Null(await grain.GetAsync());
        Assert.Empty(await cluster.Peer(owner).GetAnswersAsync(null));
        Assert.Empty(await cluster.Peer(owner).GetOffersAsync());
        Assert.Equal(OfferOutcome.NotFound, (await grain.GetCandidatesAsync(answerer, null)).Outcome);
        Assert.Equal(OfferOutcome.NotFound, (await grain.AddCandidatesAsync(owner, ["{}"])).Outcome);

        // The timers fired inside Advance; their cleanup runs on the grains' own schedulers.
        string[] stored = [];
        await GrainClusterFixture.Eventually(async () =>
        {
            var records = await Task.WhenAll(offers.Select(o => GrainClusterFixture.IsStoredAsync(o.Id)));
            stored = offers.Zip(records).Where(x => x.Second).Select(x => x.First.Id).ToArray();
            return stored.Length == 0;
        }, CleanupDeadline, () => $"the answered offers' stored state to be cleared; {stored.Length} of {count} still stored: {string.Join(", ", stored)}");
        foreach (var (o, a) in pairs)
        {
            Assert.Empty(await GrainClusterFixture.Store.OwnedByAsync(o));
            Assert.Empty(await GrainClusterFixture.Store.AnsweredByAsync(a));
        }
    }
}
