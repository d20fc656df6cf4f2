namespace Rondevu.Grains;

/// <summary>Membership of one topic (key: the topic): its live, unanswered offers, newest lastSeen first.</summary>
[Alias("Rondevu.ITopicGrain")]
public interface ITopicGrain : IGrainWithStringKey
{
    [Alias("Add")]
    Task AddAsync(TopicEntry entry);

    [Alias("Remove")]
    Task RemoveAsync(string offerId);

    [Alias("Touch")]
    Task TouchAsync(string offerId, long lastSeen);

    /// <summary>Distinct peers with a live, unanswered offer here right now, expired offers not yet removed excluded.</summary>
    [Alias("CountActivePeers")]
    Task<int> CountActivePeersAsync();

    /// <summary>Up to <paramref name="limit"/> offers whose peer the Bloom filter does not contain.</summary>
    [Alias("Discover")]
    Task<DiscoveryPage> DiscoverAsync(int limit, byte[]? bloom);
}
