namespace Rondevu.Grains;

[GenerateSerializer, Alias("Rondevu.TopicIndexState")]
public sealed class TopicIndexState
{
    /// <summary>Topic → distinct peers with live, unanswered offers in it.</summary>
    [Id(0)] public Dictionary<string, int> ActivePeers { get; set; } = [];
}

/// <remarks>
/// Reentrant so that reports from many topics share state writes (see <see cref="Coalescer"/>);
/// safe because each report updates memory synchronously before awaiting the shared write.
/// </remarks>
[Reentrant]
public sealed class TopicIndexGrain : Grain, ITopicIndexGrain
{
    private static readonly Comparer<TopicCount> MostPeersFirst = Comparer<TopicCount>.Create((a, b) =>
        a.ActivePeers != b.ActivePeers ? b.ActivePeers.CompareTo(a.ActivePeers) : string.CompareOrdinal(a.Topic, b.Topic));

    private readonly IPersistentState<TopicIndexState> _index;
    private readonly Coalescer _writer;
    private readonly SortedSet<TopicCount> _ranked = new(MostPeersFirst);

    public TopicIndexGrain(
        [PersistentState("topicIndex", RondevuSiloExtensions.StorageName)] IPersistentState<TopicIndexState> index)
    {
        _index = index;
        _writer = new Coalescer(SaveAsync);
    }

    private Dictionary<string, int> ActivePeers => _index.State.ActivePeers;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var (topic, peers) in ActivePeers)
        {
            _ranked.Add(new TopicCount(topic, peers));
        }
        return Task.CompletedTask;
    }

    public async Task ReportAsync(string topic, int activePeers)
    {
        if (ActivePeers.Remove(topic, out var previous))
        {
            _ranked.Remove(new TopicCount(topic, previous));
        }
        if (activePeers > 0)
        {
            ActivePeers[topic] = activePeers;
            _ranked.Add(new TopicCount(topic, activePeers));
        }
        if (previous != activePeers)
        {
            await _writer.RunAsync();
        }
    }

    public Task<TopicPage> TopAsync(int count, string? startsWith)
    {
        var top = new List<TopicCount>(Math.Min(count, _ranked.Count));
        var total = 0;
        foreach (var entry in _ranked)
        {
            if (startsWith is not null && !entry.Topic.StartsWith(startsWith, StringComparison.Ordinal)) continue;
            if (top.Count < count) top.Add(entry);
            total++;
        }
        return Task.FromResult(new TopicPage(top.ToArray(), total));
    }

    private async Task SaveAsync()
    {
        if (ActivePeers.Count > 0)
        {
            await _index.WriteStateAsync();
        }
        else if (_index.RecordExists)
        {
            await _index.ClearStateAsync();
        }
    }
}
