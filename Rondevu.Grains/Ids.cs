using System.Security.Cryptography;

namespace Rondevu.Grains;

/// <summary>Peer and offer ids: 128 bits from a CSPRNG as 32 lowercase hex characters.</summary>
public static class Ids
{
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static bool IsValid(string? id) =>
        id is { Length: 32 } && id.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
