using Microsoft.Extensions.Logging;

namespace Rondevu.Grains;

/// <remarks>
/// Persists nothing of its own: membership is in each offer's record (its topics), so publishing into
/// a topic of any size writes one offer record and changes only memory here. An activation reads the
/// topic's unanswered offers back with one catalog query and rebuilds what discovery returns.
/// Reentrant so that discovery is never queued behind a change's report to the index; safe because
/// each method changes memory synchronously before its first await and discovery never awaits.
/// </remarks>
[Reentrant]
[TopicShardPlacement]
public sealed class TopicGrain : Grain, ITopicGrain
{
    private static readonly Comparer<TopicEntry> NewestFirst = Comparer<TopicEntry>.Create((a, b) =>
        a.LastSeen != b.LastSeen ? b.LastSeen.CompareTo(a.LastSeen) : string.CompareOrdinal(a.OfferId, b.OfferId));
    private static readonly Comparer<TopicEntry> SoonestExpiry = Comparer<TopicEntry>.Create((a, b) =>
        a.ExpiresAt != b.ExpiresAt ? a.ExpiresAt.CompareTo(b.ExpiresAt) : string.CompareOrdinal(a.OfferId, b.OfferId));

    private readonly IOfferCatalog _catalog;
    private readonly TimeProvider _clock;
    private readonly ILogger<TopicGrain> _logger;
    private readonly RondevuMetrics _metrics;
    private readonly Coalescer _reporter;
    private readonly Dictionary<string, TopicEntry> _offers = [];
    private readonly SortedSet<TopicEntry> _byLastSeen = new(NewestFirst);
    private readonly SortedSet<TopicEntry> _byExpiry = new(SoonestExpiry);
    private readonly Dictionary<string, int> _offersPerPeer = [];
    private (int ActivePeers, long NextExpiry) _reported = (-1, 0);
    private string? _topic;

    public TopicGrain(IOfferCatalog catalog, TimeProvider clock, RondevuMetrics metrics, ILogger<TopicGrain> logger)
    {
        _metrics = metrics;
        _catalog = catalog;
        _clock = clock;
        _logger = logger;
        _reporter = new Coalescer(ReportAsync);
    }

    /// <summary>Kept: Orleans decodes a new string from the grain id on every <c>GetPrimaryKeyString</c>.</summary>
    private string Topic => _topic ??= GrainReferences.TopicOf(this.GetPrimaryKeyString());

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var now = Now;
        foreach (var (id, state) in await _catalog.ListedInAsync(Topic))
        {
            if (state.IsListedAt(now))
            {
                Index(state.ToTopicEntry(id));
            }
        }
        _logger.LogDebug("Topic {Topic} activated with {Offers} offers from the catalog", Topic, _offers.Count);
    }

    public async Task AddAsync(TopicEntry entry)
    {
        if (_offers.Remove(entry.OfferId, out var previous))
        {
            Unindex(previous);
        }
        Index(entry);
        await ReportSafelyAsync();
    }

    public async Task RemoveAsync(string offerId)
    {
        if (_offers.Remove(offerId, out var entry))
        {
            Unindex(entry);
            await ReportSafelyAsync();
        }
    }

    public Task TouchAsync(string offerId, long lastSeen)
    {
        if (_offers.TryGetValue(offerId, out var entry))
        {
            // Only the order changes: the peer counts and the active-topics gauge stay as they are.
            var touched = entry with { LastSeen = lastSeen };
            _offers[offerId] = touched;
            _byLastSeen.Remove(entry);
            _byLastSeen.Add(touched);
            _byExpiry.Remove(entry);
            _byExpiry.Add(touched);
        }
        return Task.CompletedTask;
    }

    public Task<int> CountActivePeersAsync()
    {
        // Peers all of whose offers here have expired, though the sweep has not removed them yet.
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
        var page = new List<TopicEntry>(Math.Min(limit, _offers.Count));
        foreach (var entry in _byLastSeen)
        {
            if (page.Count == limit) break;
            if (entry.ExpiresAt <= now || (bloom is not null && BloomFilter.MightContain(bloom, entry.PeerId))) continue;
            page.Add(entry);
        }
        return Task.FromResult(new DiscoveryPage(page.ToArray(), _offers.Count - expired));
    }

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Until this time every offer here is live, so the reported count is exact.</summary>
    private long NextExpiry => _byExpiry.Count > 0 ? _byExpiry.Min!.ExpiresAt : long.MaxValue;

    private IEnumerable<TopicEntry> ExpiredEntries(long now) => _byExpiry.TakeWhile(entry => entry.ExpiresAt <= now);

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_offers.Count > 0)
        {
            _metrics.ActiveTopics.Add(-1);
        }
        return Task.CompletedTask;
    }

    private void Index(TopicEntry entry)
    {
        _offers[entry.OfferId] = entry;
        if (_offers.Count == 1)
        {
            _metrics.ActiveTopics.Add(1);
        }
        _byLastSeen.Add(entry);
        _byExpiry.Add(entry);
        _offersPerPeer[entry.PeerId] = _offersPerPeer.GetValueOrDefault(entry.PeerId) + 1;
    }

    private void Unindex(TopicEntry entry)
    {
        _offers.Remove(entry.OfferId);
        if (_offers.Count == 0)
        {
            _metrics.ActiveTopics.Add(-1);
        }
        _byLastSeen.Remove(entry);
        _byExpiry.Remove(entry);
        if (--_offersPerPeer[entry.PeerId] == 0)
        {
            _offersPerPeer.Remove(entry.PeerId);
        }
    }

    /// <summary>The index is a secondary view: the change it reports is already made (and its offer stored), so
    /// a failed report is logged, never thrown at the publish or answer that caused it. The next report, or
    /// the shard's own recount of a stale entry, repairs it.</summary>
    private async Task ReportSafelyAsync()
    {
        try
        {
            await _reporter.RunAsync();
        }
        catch (Exception error)
        {
            _logger.LogWarning(error, "Topic {Topic}: reporting to the topic index failed; it will catch up", Topic);
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
        await GrainFactory.GetTopicIndexGrain(TopicShards.Of(Topic)).ReportAsync(Topic, report.ActivePeers, report.NextExpiry);
        _reported = report;
        _logger.LogDebug("Topic {Topic} reported {ActivePeers} active peers to the index", Topic, report.ActivePeers);
    }
}
