namespace Rondevu.Grains;

[GenerateSerializer, Alias("Rondevu.TopicState")]
public sealed class TopicState
{
    [Id(0)] public Dictionary<string, TopicEntry> Offers { get; set; } = [];
}

/// <remarks>
/// Reentrant so that a busy topic shares state writes between concurrent changes (see
/// <see cref="Coalescer"/>). Safe because each method updates memory synchronously before its
/// first await and discovery never awaits, so no call can observe a half-applied change.
/// </remarks>
[Reentrant]
public sealed class TopicGrain : Grain, ITopicGrain
{
    private static readonly Comparer<TopicEntry> NewestFirst = Comparer<TopicEntry>.Create((a, b) =>
        a.LastSeen != b.LastSeen ? b.LastSeen.CompareTo(a.LastSeen) : string.CompareOrdinal(a.OfferId, b.OfferId));
    private static readonly Comparer<TopicEntry> SoonestExpiry = Comparer<TopicEntry>.Create((a, b) =>
        a.ExpiresAt != b.ExpiresAt ? a.ExpiresAt.CompareTo(b.ExpiresAt) : string.CompareOrdinal(a.OfferId, b.OfferId));

    private readonly IPersistentState<TopicState> _topic;
    private readonly TimeProvider _clock;
    private readonly Coalescer _writer;
    private readonly Coalescer _reporter;
    private readonly SortedSet<TopicEntry> _byLastSeen = new(NewestFirst);
    private readonly SortedSet<TopicEntry> _byExpiry = new(SoonestExpiry);
    private readonly Dictionary<string, int> _offersPerPeer = [];
    private (int ActivePeers, long NextExpiry) _reported = (-1, 0);

    public TopicGrain(
        [PersistentState("topic", RondevuSiloExtensions.StorageName)] IPersistentState<TopicState> topic,
        TimeProvider clock)
    {
        _topic = topic;
        _clock = clock;
        _writer = new Coalescer(SaveAsync);
        _reporter = new Coalescer(ReportAsync);
    }

    private Dictionary<string, TopicEntry> Offers => _topic.State.Offers;
    private string Topic => GrainReferences.TopicOf(this.GetPrimaryKeyString());

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in Offers.Values)
        {
            Index(entry);
        }
        // The index shard may have missed the last report if a silo died in between: repair it now.
        return _topic.RecordExists ? _reporter.RunAsync() : Task.CompletedTask;
    }

    public async Task AddAsync(TopicEntry entry)
    {
        if (Offers.Remove(entry.OfferId, out var previous))
        {
            Unindex(previous);
        }
        Offers[entry.OfferId] = entry;
        Index(entry);
        await Task.WhenAll(_writer.RunAsync(), _reporter.RunAsync());
    }

    public async Task RemoveAsync(string offerId)
    {
        if (!Offers.Remove(offerId, out var entry))
        {
            return;
        }
        Unindex(entry);
        await Task.WhenAll(_writer.RunAsync(), _reporter.RunAsync());
    }

    public async Task TouchAsync(string offerId, long lastSeen)
    {
        if (!Offers.TryGetValue(offerId, out var entry))
        {
            return;
        }
        _byLastSeen.Remove(entry);
        var touched = entry with { LastSeen = lastSeen };
        Offers[offerId] = touched;
        _byLastSeen.Add(touched);
        _byExpiry.Remove(entry);
        _byExpiry.Add(touched);
        await _writer.RunAsync();
    }

    public Task<int> CountActivePeersAsync()
    {
        // Peers all of whose offers here have expired, though their reminders have not run yet.
        var now = Now;
        var expiredPerPeer = new Dictionary<string, int>();
        foreach (var entry in ExpiredEntries(now))
        {
            expiredPerPeer[entry.PeerId] = expiredPerPeer.GetValueOrDefault(entry.PeerId) + 1;
        }
        var gone = expiredPerPeer.Count(p => p.Value == _offersPerPeer[p.Key]);
        return Task.FromResult(_offersPerPeer.Count - gone);
    }

    public Task<DiscoveryPage> DiscoverAsync(int limit, byte[]? bloom)
    {
        var now = Now;
        var expired = ExpiredEntries(now).Count();

        // Walks newest first and stops at the limit: the cost follows what is returned, not the topic's size.
        var page = new List<TopicEntry>(Math.Min(limit, Offers.Count));
        foreach (var entry in _byLastSeen)
        {
            if (page.Count == limit) break;
            if (entry.ExpiresAt <= now || (bloom is not null && BloomFilter.MightContain(bloom, entry.PeerId))) continue;
            page.Add(entry);
        }
        return Task.FromResult(new DiscoveryPage(page.ToArray(), Offers.Count - expired));
    }

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Until this time every offer here is live, so the reported count is exact.</summary>
    private long NextExpiry => _byExpiry.Count > 0 ? _byExpiry.Min!.ExpiresAt : long.MaxValue;

    private IEnumerable<TopicEntry> ExpiredEntries(long now) => _byExpiry.TakeWhile(entry => entry.ExpiresAt <= now);

    private void Index(TopicEntry entry)
    {
        _byLastSeen.Add(entry);
        _byExpiry.Add(entry);
        _offersPerPeer[entry.PeerId] = _offersPerPeer.GetValueOrDefault(entry.PeerId) + 1;
    }

    private void Unindex(TopicEntry entry)
    {
        _byLastSeen.Remove(entry);
        _byExpiry.Remove(entry);
        if (--_offersPerPeer[entry.PeerId] == 0)
        {
            _offersPerPeer.Remove(entry.PeerId);
        }
    }

    private async Task SaveAsync()
    {
        var wasActive = _topic.RecordExists;
        if (Offers.Count > 0)
        {
            await _topic.WriteStateAsync();
        }
        else if (wasActive)
        {
            await _topic.ClearStateAsync();
        }
        if (wasActive != _topic.RecordExists)
        {
            RondevuMetrics.ActiveTopics.Add(_topic.RecordExists ? 1 : -1);
        }
    }

    private async Task ReportAsync()
    {
        // An earlier expiry than the one reported is news, a later one is not: the index only needs a
        // time until which the count is sure, and a busy topic would otherwise report every change.
        var report = (ActivePeers: _offersPerPeer.Count, NextExpiry);
        if (report.ActivePeers == _reported.ActivePeers && report.NextExpiry >= _reported.NextExpiry && _reported.NextExpiry > Now)
        {
            return;
        }
        await GrainFactory.GetGrain<ITopicIndexGrain>(TopicShards.Of(Topic)).ReportAsync(Topic, report.ActivePeers, report.NextExpiry);
        _reported = report;
    }
}
