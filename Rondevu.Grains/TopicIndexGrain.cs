namespace Rondevu.Grains;

[GenerateSerializer, Immutable, Alias("Rondevu.TopicStat")]
public sealed record TopicStat(
    [property: Id(0)] int ActivePeers,
    [property: Id(1)] long NextExpiry);

[GenerateSerializer, Alias("Rondevu.TopicIndexState")]
public sealed class TopicIndexState
{
    /// <summary>Topic → distinct peers with live, unanswered offers in it, and when that may next change.</summary>
    [Id(0)] public Dictionary<string, TopicStat> Topics { get; set; } = [];
}

/// <remarks>
/// Reentrant so that reports from many topics share state writes (see <see cref="Coalescer"/>), and
/// so that it may ask topics for fresh counts while they report to it; safe because each report
/// updates memory synchronously before awaiting the shared write.
/// </remarks>
[Reentrant]
public sealed class TopicIndexGrain : Grain, ITopicIndexGrain
{
    private static readonly Comparer<TopicCount> MostPeersFirst = Comparer<TopicCount>.Create((a, b) =>
        a.ActivePeers != b.ActivePeers ? b.ActivePeers.CompareTo(a.ActivePeers) : string.CompareOrdinal(a.Topic, b.Topic));

    private readonly IPersistentState<TopicIndexState> _index;
    private readonly TimeProvider _clock;
    private readonly Coalescer _writer;
    private readonly SortedSet<TopicCount> _ranked = new(MostPeersFirst);

    public TopicIndexGrain(
        [PersistentState("topicIndex", RondevuSiloExtensions.StorageName)] IPersistentState<TopicIndexState> index,
        TimeProvider clock)
    {
        _index = index;
        _clock = clock;
        _writer = new Coalescer(SaveAsync);
    }

    private Dictionary<string, TopicStat> Topics => _index.State.Topics;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var (topic, stat) in Topics)
        {
            _ranked.Add(new TopicCount(topic, stat.ActivePeers));
        }
        return Task.CompletedTask;
    }

    public async Task ReportAsync(string topic, int activePeers, long nextExpiry)
    {
        if (Topics.Remove(topic, out var previous))
        {
            _ranked.Remove(new TopicCount(topic, previous.ActivePeers));
        }
        if (activePeers > 0)
        {
            Topics[topic] = new TopicStat(activePeers, nextExpiry);
            _ranked.Add(new TopicCount(topic, activePeers));
        }
        await _writer.RunAsync();
    }

    public async Task<TopicPage> TopAsync(int count, string? startsWith)
    {
        bool Matches(string topic) => startsWith is null || topic.StartsWith(startsWith, StringComparison.Ordinal);

        // A topic whose first offer has expired may count a peer that is gone; its reminder will fix
        // the report soon, but until then only the topic itself knows the true count.
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var stale = Topics.Where(t => t.Value.NextExpiry <= now && Matches(t.Key)).Select(t => t.Key).ToHashSet();
        var recounted = await Task.WhenAll(stale.Select(async topic =>
            new TopicCount(topic, await GrainFactory.GetTopicGrain(topic).CountActivePeersAsync())));

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

    private async Task SaveAsync()
    {
        if (Topics.Count > 0)
        {
            await _index.WriteStateAsync();
        }
        else if (_index.RecordExists)
        {
            await _index.ClearStateAsync();
        }
    }
}
