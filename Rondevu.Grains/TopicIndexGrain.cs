using Microsoft.Extensions.Logging;

namespace Rondevu.Grains;

/// <remarks>
/// Derived data, persisted nowhere: topics report their counts as they change, and an activation (after
/// idle collection or a full cluster restart) starts from one catalog query over the stored offers, so
/// <c>GET /topics</c> is whole again from the first request without any write per report.
/// Reentrant so that it may ask topics for fresh counts while they report to it; safe because each
/// report changes memory synchronously and never awaits.
/// </remarks>
[Reentrant]
[TopicShardPlacement]
public sealed class TopicIndexGrain(IOfferCatalog catalog, TimeProvider clock, ILogger<TopicIndexGrain> logger) : Grain, ITopicIndexGrain
{
    private static readonly Comparer<TopicCount> MostPeersFirst = Comparer<TopicCount>.Create((a, b) =>
        a.ActivePeers != b.ActivePeers ? b.ActivePeers.CompareTo(a.ActivePeers) : string.CompareOrdinal(a.Topic, b.Topic));

    /// <summary>Topic → distinct peers with live, unanswered offers in it, and when that may next change.</summary>
    private readonly Dictionary<string, (int ActivePeers, long NextExpiry)> _topics = [];
    private readonly SortedSet<TopicCount> _ranked = new(MostPeersFirst);

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var shard = (int)this.GetPrimaryKeyLong();
        foreach (var tally in await catalog.TopicsAsync(Now))
        {
            if (TopicShards.Of(tally.Topic) == shard)
            {
                Set(tally.Topic, tally.ActivePeers, tally.NextExpiry);
            }
        }
        logger.LogDebug("Topic index shard {Shard} activated with {Topics} topics from the catalog", shard, _topics.Count);
    }

    public Task ReportAsync(string topic, int activePeers, long nextExpiry)
    {
        Set(topic, activePeers, nextExpiry);
        return Task.CompletedTask;
    }

    public async Task<TopicPage> TopAsync(int count, string? startsWith)
    {
        bool Matches(string topic) => startsWith is null || topic.StartsWith(startsWith, StringComparison.Ordinal);

        // A topic whose first offer has expired may count a peer that is gone; the sweep will fix the
        // report soon, but until then only the topic itself knows the true count.
        var now = Now;
        var stale = _topics.Where(t => t.Value.NextExpiry <= now && Matches(t.Key)).Select(t => t.Key).ToHashSet();
        var recounted = await Task.WhenAll(stale.Select(async topic =>
            new TopicCount(topic, await GrainFactory.GetTopicGrain(topic).CountActivePeersAsync())));
        if (stale.Count > 0)
        {
            logger.LogDebug("Topic index recounted {Count} topics whose first offer expired", stale.Count);
        }

        var top = new List<TopicCount>(recounted.Where(t => t.ActivePeers > 0));
        var total = top.Count;
        var fresh = 0;
        foreach (var entry in _ranked)
        {
            if (!Matches(entry.Topic) || stale.Contains(entry.Topic)) continue;
            if (fresh++ < count) top.Add(entry);
            total++;
        }
        top.Sort(MostPeersFirst);
        return new TopicPage(top.Take(count).ToArray(), total);
    }

    private void Set(string topic, int activePeers, long nextExpiry)
    {
        if (_topics.Remove(topic, out var previous))
        {
            _ranked.Remove(new TopicCount(topic, previous.ActivePeers));
        }
        if (activePeers > 0)
        {
            _topics[topic] = (activePeers, nextExpiry);
            _ranked.Add(new TopicCount(topic, activePeers));
        }
    }
}
