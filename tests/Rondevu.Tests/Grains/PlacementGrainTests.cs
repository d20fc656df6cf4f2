using Rondevu.Grains;

namespace Rondevu.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class PlacementGrainTests(GrainClusterFixture cluster)
{
    [Fact]
    public void An_offer_id_starts_with_its_owners_shard_and_is_random_after_it()
    {
        var owner = Ids.New();
        var first = Ids.NewOffer(owner);
        var second = Ids.NewOffer(owner);

        Assert.True(Ids.IsValid(first));
        Assert.Equal(owner[..8], first[..8]);
        Assert.Equal(Ids.ShardOf(owner), Ids.ShardOf(first));
        Assert.NotEqual(first[8..], second[8..]);
        Assert.Equal(Ids.ShardOf("not-an-id"), Ids.ShardOf(Ids.NewOffer("not-an-id")));
    }

    /// <summary>An offer's notices to its owner (answered, the answerer's candidates, removed) stay inside one silo.</summary>
    [Fact]
    public async Task An_offers_grain_starts_on_the_silo_of_its_owners_grain()
    {
        var topic = GrainClusterFixture.UniqueTopic("placement");
        // Shards 0..7 over the fixture's two silos: both silos get owners.
        var owners = Enumerable.Range(0, 8).Select(i => $"{i:x8}" + Ids.New()[8..]).ToArray();
        var offers = new List<OfferView>();
        foreach (var owner in owners)
        {
            offers.Add(await cluster.PublishOneAsync(owner, [topic]));
        }
        foreach (var offer in offers)
        {
            Assert.NotNull(await cluster.Offer(offer.Id).GetAsync());
        }

        var grains = await cluster.Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        SiloAddress SiloOf(string type, string key) => grains.Single(g => g.GrainId == GrainId.Create(type, key)).SiloAddress;
        Assert.All(offers, offer => Assert.Equal(SiloOf("peer", offer.PeerId), SiloOf("offer", offer.Id)));
        Assert.Equal(2, offers.Select(offer => SiloOf("peer", offer.PeerId)).Distinct().Count());
    }

    /// <summary>A topic's reports to the topic index stay inside one silo.</summary>
    [Fact]
    public async Task A_topics_grain_starts_on_the_silo_of_its_index_shard()
    {
        var topics = Enumerable.Range(0, 16).Select(i => GrainClusterFixture.UniqueTopic($"shard-{i}")).ToArray();
        foreach (var topic in topics)
        {
            await cluster.PublishOneAsync(Ids.New(), [topic]);
        }

        var grains = await cluster.Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        SiloAddress SiloOf(IAddressable grain) => grains.Single(g => g.GrainId == grain.GetGrainId()).SiloAddress;
        var silos = topics.Select(topic => SiloOf(cluster.Topic(topic))).ToArray();
        Assert.Equal(topics.Select(topic => SiloOf(cluster.Grains.GetGrain<ITopicIndexGrain>(TopicShards.Of(topic)))), silos);
        Assert.Equal(2, silos.Distinct().Count());
    }
}
