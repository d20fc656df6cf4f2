namespace Rondevu.Grains;

/// <summary>The 0.1.x client's Bloom filter: k = 3 FNV-1a variants over UTF-16 code units, bit 0 least significant.</summary>
public static class BloomFilter
{
    public const int Hashes = 3;

    public static bool MightContain(ReadOnlySpan<byte> filter, string item)
    {
        var bits = (uint)filter.Length * 8;
        for (uint seed = 0; seed < Hashes; seed++)
        {
            var index = Hash(item, seed) % bits;
            if ((filter[(int)(index / 8)] & (1 << (int)(index % 8))) == 0)
            {
                return false;
            }
        }
        return true;
    }

    public static void Add(Span<byte> filter, string item)
    {
        var bits = (uint)filter.Length * 8;
        for (uint seed = 0; seed < Hashes; seed++)
        {
            var index = Hash(item, seed) % bits;
            filter[(int)(index / 8)] |= (byte)(1 << (int)(index % 8));
        }
    }

    private static uint Hash(string item, uint seed)
    {
        var h = 2166136261u ^ seed;
        foreach (var c in item)
        {
            h ^= c;
            h += (h << 1) + (h << 4) + (h << 7) + (h << 8) + (h << 24);
        }
        return h;
    }
}
