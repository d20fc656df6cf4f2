namespace Rondevu.Tests.Http;

/// <summary>
/// The client's Bloom filter written from API.md's description alone (not from the production code), so
/// discovery tests build filters independently; checked against vectors.json in <see cref="WireVectorTests"/>.
/// </summary>
public static class TestBloom
{
    public static byte[] Create(int bytes, params string[] peerIds)
    {
        var filter = new byte[bytes];
        foreach (var id in peerIds)
        {
            foreach (var index in Indexes(id, bytes))
            {
                filter[index / 8] |= (byte)(1 << (int)(index % 8));
            }
        }
        return filter;
    }

    public static bool Test(byte[] filter, string peerId) =>
        Indexes(peerId, filter.Length).All(index => (filter[index / 8] & (1 << (int)(index % 8))) != 0);

    private static IEnumerable<int> Indexes(string item, int bytes)
    {
        for (uint seed = 0; seed < 3; seed++)
        {
            uint h = 2166136261u ^ seed;
            foreach (char c in item)
            {
                h ^= c;
                h = unchecked(h + (h << 1) + (h << 4) + (h << 7) + (h << 8) + (h << 24));
            }
            yield return (int)(h % (uint)(8 * bytes));
        }
    }

    public static string Query(byte[] filter) => "bloom=" + Uri.EscapeDataString(Convert.ToBase64String(filter));
}
