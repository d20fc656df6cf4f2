namespace Rondevu.Gateway.Http;

/// <summary>The rules of API.md for values in the path and the query string, each parsed from its raw text so
/// that every mistake gets its own 400 message.</summary>
public static partial class RequestValidation
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;
    public const int MaxBloomBytes = 4096;
    public const int MaxWaitSeconds = 30;

    /// <summary>A topic from the path: percent-decoded exactly once, from the raw request target.</summary>
    public static Validated<string> PathTopic(string encoded)
    {
        var topic = Uri.UnescapeDataString(encoded);
        return TopicError(topic) is { } error ? Validated<string>.Invalid(error) : topic;
    }

    public static Validated<int> Limit(string? raw) => PageSize(raw, "limit");

    public static Validated<int> Offset(string? raw)
    {
        if (raw is null) return 0;
        return int.TryParse(raw, System.Globalization.NumberStyles.None, null, out var offset)
            ? offset
            : Validated<int>.Invalid("offset must be a non-negative integer");
    }

    public static Validated<long?> Since(string? raw)
    {
        if (raw is null) return new Validated<long?>(null, null);
        return long.TryParse(raw, System.Globalization.NumberStyles.AllowLeadingSign, null, out var since)
            ? since
            : Validated<long?>.Invalid("since must be an integer timestamp in milliseconds");
    }

    /// <summary>The push parameters: a cursor or timestamp, and how long to hold the request for news.</summary>
    public static Validated<(long? Since, TimeSpan? Wait)> Push(string? since, string? wait)
    {
        var after = Since(since);
        var hold = Wait(wait);
        return FirstError(after.Error, hold.Error) is { } error
            ? Validated<(long?, TimeSpan?)>.Invalid(error)
            : (after.Value, hold.Value);
    }

    /// <summary>Push: seconds to hold a request for news, 1–30 (larger is capped); absent means answer at once.</summary>
    public static Validated<TimeSpan?> Wait(string? raw)
    {
        if (raw is null) return new Validated<TimeSpan?>(null, null);
        return CappedPositive(raw, MaxWaitSeconds) is { } seconds
            ? TimeSpan.FromSeconds(seconds)
            : Validated<TimeSpan?>.Invalid($"wait must be a whole number of seconds from 1 to {MaxWaitSeconds}");
    }

    public static Validated<byte[]?> Bloom(string? raw)
    {
        if (raw is null) return new Validated<byte[]?>(null, null);

        // A '+' that reached us unencoded arrives as a space.
        var text = raw.Replace(' ', '+');
        var bytes = new byte[text.Length];
        if (!Convert.TryFromBase64String(text, bytes, out var length))
        {
            return Validated<byte[]?>.Invalid("bloom must be base64");
        }
        if (length is 0 or > MaxBloomBytes)
        {
            return Validated<byte[]?>.Invalid($"bloom filter must be 1 to {MaxBloomBytes} bytes");
        }
        return bytes[..length];
    }

    public static string? FirstError(params string?[] errors) => errors.FirstOrDefault(e => e is not null);

    private static Validated<int> PageSize(string? raw, string name)
    {
        if (raw is null) return DefaultPageSize;
        return CappedPositive(raw, MaxPageSize) is { } value ? value : Validated<int>.Invalid($"{name} must be a positive integer");
    }

    /// <summary>A positive integer, capped at <paramref name="max"/>; null for anything else.</summary>
    private static int? CappedPositive(string raw, int max)
    {
        if (long.TryParse(raw, System.Globalization.NumberStyles.None, null, out var value) && value > 0)
        {
            return (int)Math.Min(value, max);
        }
        // All digits but too long for a number is still a positive integer: cap it like any large value.
        return raw.Length > 0 && raw.All(char.IsAsciiDigit) && raw.TrimStart('0').Length > 0 ? max : null;
    }
}
