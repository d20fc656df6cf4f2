namespace Rondevu.Grains;

/// <summary>Spreads topics over the index shards with a hash that is the same in every process.</summary>
public static class TopicShards
{
    public const int Count = 8;

    public static int Of(string topic)
    {
        // FNV-1a over UTF-16 code units: string.GetHashCode is randomized per process.
        var hash = 2166136261u;
        foreach (var c in topic)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return (int)(hash % Count);
    }
}
