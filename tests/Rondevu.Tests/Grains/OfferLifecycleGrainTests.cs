using Rondevu.Grains;

namespace Rondevu.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class OfferLifecycleGrainTests(GrainClusterFixture cluster)
{
    /// <summary>An offer that only waits to be discovered costs its record and index entries, not an activation:
    /// its grain starts at the first call to it, from the record the peer stored.</summary>
    [Fact]
    public async Task Publishing_stores_the_offer_without_activating_its_grain()
    {
        var topic = GrainClusterFixture.UniqueTopic("no-activation");
        var offer = await cluster.PublishOneAsync(Ids.New(), [topic], sdp: "v=0 waiting");
        var management = cluster.Grains.GetGrain<IManagementGrain>(0);
        async Task<bool> ActiveAsync() =>
            (await management.GetActiveGrains(GrainType.Create("offer"))).Contains(GrainId.Create("offer", offer.Id));

        Assert.True(await GrainClusterFixture.IsStoredAsync(offer.Id));
        Assert.Equal(offer.Id, Assert.Single((await cluster.Topic(topic).DiscoverAsync(10, null)).Offers).OfferId);
        Assert.False(await ActiveAsync());

        Assert.Equal("v=0 waiting", (await cluster.Offer(offer.Id).GetAsync())?.Sdp);
        Assert.True(await ActiveAsync());
    }

    [Fact]
    public async Task Published_offer_is_readable_discoverable_and_indexed_under_each_topic()
    {
        var peer = Ids.New();
        var t1 = GrainClusterFixture.UniqueTopic("life-a");
        var t2 = GrainClusterFixture.UniqueTopic("life-b");
        var before = GrainClusterFixture.Now;

        var published = await cluster.PublishOneAsync(peer, [t1, t2], secret: "s3cret", info: "hello", sdp: "v=0 offer");

        Assert.True(Ids.IsValid(published.Id));
        Assert.Equal(peer, published.PeerId);
        Assert.InRange(published.CreatedAt, before, GrainClusterFixture.Now);
        Assert.Equal(published.CreatedAt + GrainClusterFixture.LongTtl, published.ExpiresAt);
        Assert.Equal(published.CreatedAt, published.LastSeen);

        var stored = await cluster.Offer(published.Id).GetAsync();
        Assert.NotNull(stored);
        Assert.Equal("v=0 offer", stored.Sdp);
        Assert.Equal([t1, t2], stored.Topics);
        Assert.Equal("s3cret", stored.Secret);
        Assert.Equal("hello", stored.Info);
        Assert.Null(stored.AnswererPeerId);
        Assert.Null(stored.AnsweredAt);

        string[] topics = [t1, t2];
        var expected = new TopicEntry(published.Id, peer, "v=0 offer", topics, published.ExpiresAt, published.LastSeen, true, "hello");
        foreach (var topic in topics)
        {
            var page = await cluster.Topic(topic).DiscoverAsync(50, null);
            Assert.Equal(1, page.Total);
            var entry = Assert.Single(page.Offers);
            Assert.Equal(topics, entry.Topics);
            Assert.Equal(expected, entry with { Topics = topics });
            Assert.Equal(1, await cluster.IndexedPeersAsync(topic));
            var (listed, total) = await cluster.AllTopicsAsync(topic);
            Assert.Equal(1, total);
            Assert.Equal(new TopicCount(topic, 1), Assert.Single(listed));
        }

        var mine = await cluster.Peer(peer).GetOffersAsync();
        Assert.Equal(published.Id, Assert.Single(mine).Id);
    }

    [Fact]
    public async Task Unknown_offer_reads_as_null_and_refuses_every_action()
    {
        var offer = cluster.Offer(Ids.New());
        var someone = Ids.New();

        Assert.Null(await offer.GetAsync());
        Assert.Equal(OfferOutcome.NotFound, (await offer.AnswerAsync(someone, "sdp", null)).Outcome);
        Assert.Equal(OfferOutcome.NotFound, (await offer.AddCandidatesAsync(someone, ["{}"])).Outcome);
        Assert.Equal(OfferOutcome.NotFound, (await offer.GetCandidatesAsync(someone, null)).Outcome);
        Assert.Null(await offer.HeartbeatAsync(someone));
        Assert.False(await offer.DeleteAsync(someone));
    }

    [Fact]
    public async Task Heartbeat_updates_lastSeen_without_extending_expiry_and_moves_the_offer_first()
    {
        var peer = Ids.New();
        var topic = GrainClusterFixture.UniqueTopic("heartbeat");
        var older = await cluster.PublishOneAsync(peer, [topic]);
        GrainClusterFixture.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var newer = await cluster.PublishOneAsync(peer, [topic]);

        // Discovery and the peer's list are ordered by lastSeen desc.
        Assert.Equal([newer.Id, older.Id], (await cluster.Topic(topic).DiscoverAsync(50, null)).Offers.Select(o => o.OfferId));
        Assert.Equal([newer.Id, older.Id], (await cluster.Peer(peer).GetOffersAsync()).Select(o => o.Id));

        GrainClusterFixture.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var lastSeen = await cluster.Offer(older.Id).HeartbeatAsync(peer);
        Assert.Equal(GrainClusterFixture.Now, lastSeen);

        var view = await cluster.Offer(older.Id).GetAsync();
        Assert.NotNull(view);
        Assert.Equal(lastSeen, view.LastSeen);
        Assert.Equal(older.ExpiresAt, view.ExpiresAt);

        var page = await cluster.Topic(topic).DiscoverAsync(50, null);
        Assert.Equal([older.Id, newer.Id], page.Offers.Select(o => o.OfferId));
        Assert.Equal(lastSeen, page.Offers[0].LastSeen);
        Assert.Equal(older.ExpiresAt, page.Offers[0].ExpiresAt);
        Assert.Equal([older.Id, newer.Id], (await cluster.Peer(peer).GetOffersAsync()).Select(o => o.Id));
    }

    [Fact]
    public async Task Heartbeat_from_anyone_but_the_owner_is_refused()
    {
        var peer = Ids.New();
        var offer = await cluster.PublishOneAsync(peer, [GrainClusterFixture.UniqueTopic("heartbeat-stranger")]);

        Assert.Null(await cluster.Offer(offer.Id).HeartbeatAsync(Ids.New()));
        Assert.Equal(offer.LastSeen, (await cluster.Offer(offer.Id).GetAsync())!.LastSeen);
    }

    [Fact]
    public async Task Delete_removes_the_offer_from_topic_peer_index_and_storage_before_it_returns()
    {
        var peer = Ids.New();
        var t1 = GrainClusterFixture.UniqueTopic("delete-a");
        var t2 = GrainClusterFixture.UniqueTopic("delete-b");
        var offer = await cluster.PublishOneAsync(peer, [t1, t2]);
        var other = await cluster.PublishOneAsync(Ids.New(), [t1]);
        var grain = cluster.Offer(offer.Id);

        Assert.False(await grain.DeleteAsync(Ids.New()));
        Assert.NotNull(await grain.GetAsync());

        Assert.True(await grain.DeleteAsync(peer));

        // No waiting: every index has forgotten the offer by the time DeleteAsync returned.
        Assert.Null(await grain.GetAsync());
        var page1 = await cluster.Topic(t1).DiscoverAsync(50, null);
        Assert.Equal(1, page1.Total);
        Assert.Equal(other.Id, Assert.Single(page1.Offers).OfferId);
        var page2 = await cluster.Topic(t2).DiscoverAsync(50, null);
        Assert.Equal(0, page2.Total);
        Assert.Empty(page2.Offers);
        Assert.Equal(1, await cluster.IndexedPeersAsync(t1));
        Assert.Null(await cluster.IndexedPeersAsync(t2));
        Assert.Empty(await cluster.Peer(peer).GetOffersAsync());
        Assert.False(await GrainClusterFixture.IsStoredAsync(offer.Id));
        Assert.DoesNotContain(await GrainClusterFixture.Store.OwnedByAsync(peer), o => o.Id == offer.Id);
        Assert.Empty(await GrainClusterFixture.Store.ListedInAsync(t2));

        Assert.False(await grain.DeleteAsync(peer));
        Assert.Equal(OfferOutcome.NotFound, (await grain.AddCandidatesAsync(peer, ["{}"])).Outcome);
    }

    [Fact]
    public async Task Delete_of_an_answered_offer_clears_the_owners_mailbox()
    {
        var owner = Ids.New();
        var offer = await cluster.PublishOneAsync(owner, [GrainClusterFixture.UniqueTopic("delete-answered")]);
        Assert.Equal(OfferOutcome.Ok, (await cluster.Offer(offer.Id).AnswerAsync(Ids.New(), "answer", null)).Outcome);
        Assert.Single(await cluster.Peer(owner).GetAnswersAsync(null));

        Assert.True(await cluster.Offer(offer.Id).DeleteAsync(owner));

        Assert.Empty(await cluster.Peer(owner).GetAnswersAsync(null));
        Assert.Empty(await cluster.Peer(owner).GetOffersAsync());
        Assert.Null(await cluster.Offer(offer.Id).GetAsync());
    }
}
