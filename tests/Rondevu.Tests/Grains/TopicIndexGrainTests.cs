using Rondevu.Grains;

namespace Rondevu.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class TopicIndexGrainTests(GrainClusterFixture cluster)
{
    [Fact]
    public void The_cached_shard_reference_names_the_grain_Orleans_names_for_that_key()
    {
        for (var shard = 0; shard < TopicShards.Count; shard++)
        {
            var cached = cluster.Grains.GetTopicIndexGrain(shard);
            var orleans = cluster.Grains.GetGrain<ITopicIndexGrain>(shard);
            Assert.Equal(orleans.GetGrainId(), cached.GetGrainId());
            Assert.Equal(shard, cached.GetPrimaryKeyLong());
        }
    }

    [Fact]
    public async Task Topics_spread_over_shards_merge_by_distinct_peers_desc_then_topic_ordinal()
    {
        var prefix = $"idx-{Guid.NewGuid():N}/";
        // Topic i gets (i % 4) + 1 distinct peers; ties are broken by ordinal order, where
        // upper case sorts before lower case and "B" before "a".
        var names = new[] { "a", "B", "c", "D", "e", "F", "g", "H", "i", "J", "k", "L", "m", "N", "o", "P" };
        var expected = names
            .Select((name, i) => new TopicCount(prefix + name, i % 4 + 1))
            .OrderByDescending(t => t.ActivePeers).ThenBy(t => t.Topic, StringComparer.Ordinal)
            .ToArray();
        Assert.True(expected.Select(t => TopicShards.Of(t.Topic)).Distinct().Count() > 1, "the topics should span several shards");

        // Four peers; peer p publishes one offer tagged with every topic that has more than p peers.
        // Peer 0 publishes a second offer on the same topics, which must not count twice.
        var peers = Enumerable.Range(0, 4).Select(_ => Ids.New()).ToArray();
        OfferView? duplicate = null;
        for (var p = 0; p < peers.Length; p++)
        {
            var topics = expected.Where(t => t.ActivePeers > p).Select(t => t.Topic).ToArray();
            await cluster.PublishOneAsync(peers[p], topics);
            if (p == 0)
            {
                duplicate = await cluster.PublishOneAsync(peers[p], topics);
            }
        }

        var (merged, total) = await cluster.AllTopicsAsync(prefix);
        Assert.Equal(expected, merged);
        Assert.Equal(expected.Length, total);

        // Each topic lives in the shard its stable hash names, and each shard ranks its own topics.
        for (var shard = 0; shard < TopicShards.Count; shard++)
        {
            var page = await cluster.IndexShard(shard).TopAsync(1_000, prefix);
            Assert.Equal(expected.Where(t => TopicShards.Of(t.Topic) == shard), page.Topics);
            Assert.Equal(page.Topics.Length, page.Total);
            var top1 = await cluster.IndexShard(shard).TopAsync(1, prefix);
            Assert.Equal(page.Topics.Take(1), top1.Topics);
            Assert.Equal(page.Total, top1.Total);
        }

        // A new peer raises a count and lowers it again when it leaves.
        var visitor = await cluster.PublishOneAsync(peers[3], [prefix + "a"]);
        Assert.Equal(2, await cluster.IndexedPeersAsync(prefix + "a"));
        Assert.True(await cluster.Offer(visitor.Id).DeleteAsync(peers[3]));
        Assert.Equal(1, await cluster.IndexedPeersAsync(prefix + "a"));

        // One of two offers of the same peer leaving changes no count.
        Assert.True(await cluster.Offer(duplicate!.Id).DeleteAsync(peers[0]));
        Assert.Equal(expected, (await cluster.AllTopicsAsync(prefix)).Topics);
    }

    [Fact]
    public async Task StartsWith_is_a_literal_case_sensitive_prefix_not_a_like_pattern()
    {
        var prefix = $"like-{Guid.NewGuid():N}/";
        var topics = new[] { "a%b", "a_c", "axb", "a%", "abc", "Abc", "100%", "100x" }.Select(t => prefix + t).ToArray();
        await cluster.PublishOneAsync(Ids.New(), topics);

        async Task<string[]> Matching(string startsWith) =>
            (await cluster.AllTopicsAsync(prefix + startsWith)).Topics.Select(t => t.Topic[prefix.Length..]).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(["a%", "a%b"], await Matching("a%"));
        Assert.Equal(["a_c"], await Matching("a_"));
        Assert.Equal(["100%"], await Matching("100%"));
        Assert.Equal(["Abc"], await Matching("A"));
        Assert.Equal(["a%", "a%b", "a_c", "abc", "axb"], await Matching("a"));
        Assert.Empty(await Matching("%"));
        Assert.Empty(await Matching("_"));
        Assert.Equal(topics.Length, (await cluster.AllTopicsAsync(prefix)).Total);
        Assert.Equal(2, (await cluster.AllTopicsAsync(prefix + "a%")).Total);
    }

    [Fact]
    public async Task Topic_leaves_the_index_when_its_last_live_unanswered_offer_goes()
    {
        var topic = GrainClusterFixture.UniqueTopic("idx-leave");
        var alice = Ids.New();
        var bob = Ids.New();
        var fromAlice = await cluster.PublishOneAsync(alice, [topic]);
        var fromBob = await cluster.PublishOneAsync(bob, [topic]);
        Assert.Equal(2, await cluster.IndexedPeersAsync(topic));

        Assert.Equal(OfferOutcome.Ok, (await cluster.Offer(fromAlice.Id).AnswerAsync(Ids.New(), "answer", null)).Outcome);
        Assert.Equal(1, await cluster.IndexedPeersAsync(topic));

        Assert.True(await cluster.Offer(fromBob.Id).DeleteAsync(bob));
        Assert.Null(await cluster.IndexedPeersAsync(topic));
        Assert.Equal(0, (await cluster.AllTopicsAsync(topic)).Total);
    }

    [Fact]
    public void Topic_shard_hash_is_stable_fnv1a_over_utf16()
    {
        // FNV-1a 32-bit of "" is the offset basis 2166136261 (2166136261 % 8 = 5); of "a" it is 0xE40C292C.
        Assert.Equal((int)(2166136261u % TopicShards.Count), TopicShards.Of(""));
        Assert.Equal((int)(0xE40C292Cu % TopicShards.Count), TopicShards.Of("a"));
        Assert.All(Enumerable.Range(0, 200).Select(i => $"topic-{i}"), t => Assert.InRange(TopicShards.Of(t), 0, TopicShards.Count - 1));
        Assert.Equal(TopicShards.Count, Enumerable.Range(0, 200).Select(i => TopicShards.Of($"topic-{i}")).Distinct().Count());
    }
}
