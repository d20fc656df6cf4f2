using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Rondevu.Grains;

/// <summary>
/// Peer and offer ids: 32 lowercase hex characters from a CSPRNG. An offer id starts with its owner's
/// shard (the owner id's first 8 hex digits), so that the offer's grain can be placed beside its owner's
/// without a lookup (<see cref="OwnerPlacement"/>); its other 96 bits are random.
/// </summary>
public static class Ids
{
    private const int ShardDigits = 8;

    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static string NewOffer(string ownerPeerId) =>
        ShardOf(ownerPeerId).ToString("x8", CultureInfo.InvariantCulture) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public static bool IsValid(string? id) =>
        id is { Length: 32 } && id.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>The shard of a peer id or of an offer id, the same for a peer and all its offers. Keys that are
    /// not ids (tests, hand-made grain keys) get one from a hash.</summary>
    public static uint ShardOf(string key) => IsValid(key)
        ? uint.Parse(key.AsSpan(0, ShardDigits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
        : BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
