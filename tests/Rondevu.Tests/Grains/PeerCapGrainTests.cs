using Rondevu.Grains;

namespace Rondevu.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class PeerCapGrainTests(GrainClusterFixture cluster)
{
    private const int Cap = GrainClusterFixture.MaxOffersPerPeer;

    private static OfferDraft[] Drafts(int count, string topic) =>
        Enumerable.Range(0, count)
            .Select(i => new OfferDraft($"sdp {i}", [topic], GrainClusterFixture.LongTtl, null, null))
            .ToArray();

    [Fact]
    public async Task Publishing_past_the_per_peer_cap_is_refused_whole_and_stores_nothing()
    {
        var peer = cluster.Peer(Ids.New());
        var kept = GrainClusterFixture.UniqueTopic("cap-kept");
        var refused = GrainClusterFixture.UniqueTopic("cap-refused");

        var first = await peer.PublishAsync(Drafts(Cap - 2, kept));
        Assert.False(first.PeerLimitReached);
        Assert.Equal(Cap - 2, first.Offers.Length);

        // Three more would pass the cap by one: none of the three is created.
        var over = await peer.PublishAsync(Drafts(3, refused));
        Assert.True(over.PeerLimitReached);
        Assert.Empty(over.Offers);
        Assert.Equal(Cap - 2, (await peer.GetOffersAsync()).Length);
        var refusedPage = await cluster.Topic(refused).DiscoverAsync(50, null);
        Assert.Equal(0, refusedPage.Total);
        Assert.Empty(refusedPage.Offers);
        Assert.Null(await cluster.IndexedPeersAsync(refused));

        // Exactly up to the cap is fine; one more is not.
        var fill = await peer.PublishAsync(Drafts(2, kept));
        Assert.False(fill.PeerLimitReached);
        Assert.Equal(2, fill.Offers.Length);
        Assert.Equal(Cap, (await peer.GetOffersAsync()).Length);
        Assert.True((await peer.PublishAsync(Drafts(1, refused))).PeerLimitReached);
        Assert.Equal(Cap, (await cluster.Topic(kept).DiscoverAsync(50, null)).Total);
        Assert.Equal(0, (await cluster.Topic(refused).DiscoverAsync(50, null)).Total);

        // The cap counts live offers: deleting one frees one slot.
        Assert.True(await cluster.Offer(first.Offers[0].Id).DeleteAsync(peer.GetPrimaryKeyString()));
        Assert.False((await peer.PublishAsync(Drafts(1, kept))).PeerLimitReached);
        Assert.True((await peer.PublishAsync(Drafts(1, kept))).PeerLimitReached);
    }

    [Fact]
    public async Task Concurrent_publishes_cannot_pass_the_cap_together()
    {
        var peerId = Ids.New();
        var peer = cluster.Peer(peerId);
        var topic = GrainClusterFixture.UniqueTopic("cap-race");

        var results = await Task.WhenAll(Enumerable.Range(0, 4 * Cap).Select(_ => peer.PublishAsync(Drafts(1, topic))));

        Assert.Equal(Cap, results.Count(r => !r.PeerLimitReached));
        Assert.All(results.Where(r => r.PeerLimitReached), r => Assert.Empty(r.Offers));
        var created = results.SelectMany(r => r.Offers).Select(o => o.Id).Order().ToArray();
        Assert.Equal(Cap, created.Distinct().Count());
        Assert.Equal(created, (await peer.GetOffersAsync()).Select(o => o.Id).Order());
        Assert.Equal(Cap, (await cluster.Topic(topic).DiscoverAsync(50, null)).Total);
    }

    [Fact]
    public async Task Concurrent_batches_are_each_all_or_nothing()
    {
        var peer = cluster.Peer(Ids.New());
        var topic = GrainClusterFixture.UniqueTopic("cap-batches");

        // Batches of 2 against a cap of 5: at most two batches fit, and no batch is split.
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => peer.PublishAsync(Drafts(2, topic))));

        Assert.Equal(Cap / 2, results.Count(r => !r.PeerLimitReached));
        Assert.All(results, r => Assert.Equal(r.PeerLimitReached ? 0 : 2, r.Offers.Length));
        Assert.Equal(Cap / 2 * 2, (await peer.GetOffersAsync()).Length);
    }
}
