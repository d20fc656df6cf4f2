using Rondevu.Grains;

namespace Rondevu.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class PlacementGrainTests(GrainClusterFixture cluster)
{
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
