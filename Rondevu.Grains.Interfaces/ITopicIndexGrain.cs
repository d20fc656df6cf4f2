namespace Rondevu.Grains;

/// <summary>One shard (key: shard number) of the global topic list that <c>GET /topics</c> reads.</summary>
[Alias("Rondevu.ITopicIndexGrain")]
public interface ITopicIndexGrain : IGrainWithIntegerKey
{
    /// <summary>Records a topic's active-peer count, exact until <paramref name="nextExpiry"/> (its first offer's expiry); zero removes it.</summary>
    [Alias("Report")]
    Task ReportAsync(string topic, int activePeers, long nextExpiry);

    /// <summary>This shard's first <paramref name="count"/> topics by activePeers desc, topic asc, and how many match.</summary>
    [Alias("Top")]
    Task<TopicPage> TopAsync(int count, string? startsWith);
}
