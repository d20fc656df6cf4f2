using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Rondevu.Grains;

namespace Rondevu.Gateway.Http;

/// <summary>Every rule of API.md about what a request may contain, in one place: the JSON bodies here, the path
/// and query values in RequestValidation.Query.cs.</summary>
public static partial class RequestValidation
{
    public const int MaxTopicLength = 256;
    public const int MaxSecretLength = 128;
    public const int MaxInfoLength = 128;
    public const int MaxCandidateDepth = 10;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>Reads the body as one JSON object; malformed JSON is the client's mistake, never a 500.</summary>
    public static async Task<Validated<JsonDocument>> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, DocumentOptions, cancellationToken);
        }
        catch (JsonException)
        {
            return Validated<JsonDocument>.Invalid("Malformed JSON in request body");
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            return Validated<JsonDocument>.Invalid("Request body must be a JSON object");
        }
        return document;
    }

    public static Validated<OfferDraft[]> Offers(JsonElement body, RondevuOptions limits)
    {
        if (!body.TryGetProperty("offers", out var offers) || offers.ValueKind != JsonValueKind.Array || offers.GetArrayLength() == 0)
        {
            return Validated<OfferDraft[]>.Invalid("Missing or invalid required parameter: offers must be a non-empty array");
        }
        if (offers.GetArrayLength() > limits.MaxOffersPerRequest)
        {
            return Validated<OfferDraft[]>.Invalid($"Too many offers in one request (max {limits.MaxOffersPerRequest})");
        }
        var drafts = new List<OfferDraft>(offers.GetArrayLength());
        var index = 0;
        foreach (var offer in offers.EnumerateArray())
        {
            var draft = Offer(offer, limits);
            if (!draft.IsValid)
            {
                return Validated<OfferDraft[]>.Invalid($"offers[{index}]: {draft.Error}");
            }
            drafts.Add(draft.Value);
            index++;
        }
        return drafts.ToArray();
    }

    private static Validated<OfferDraft> Offer(JsonElement offer, RondevuOptions limits)
    {
        if (offer.ValueKind != JsonValueKind.Object)
        {
            return Validated<OfferDraft>.Invalid("Each offer must be an object");
        }
        var sdp = Sdp(offer, limits);
        if (!sdp.IsValid) return Validated<OfferDraft>.Invalid(sdp.Error!);
        var topics = Topics(offer, limits);
        if (!topics.IsValid) return Validated<OfferDraft>.Invalid(topics.Error!);
        var ttl = Ttl(offer, limits);
        if (!ttl.IsValid) return Validated<OfferDraft>.Invalid(ttl.Error!);
        var secret = OptionalString(offer, "secret", "Secret", MaxSecretLength);
        if (!secret.IsValid) return Validated<OfferDraft>.Invalid(secret.Error!);
        var info = OptionalString(offer, "info", "Info", MaxInfoLength);
        if (!info.IsValid) return Validated<OfferDraft>.Invalid(info.Error!);

        // An empty secret protects nothing: the original treats it as absent too.
        return new OfferDraft(sdp.Value, topics.Value, ttl.Value, secret.Value is "" ? null : secret.Value, info.Value);
    }

    /// <summary>The limit counts characters (UTF-16 units), as the original does; what is kept is the text's UTF-8 bytes.</summary>
    public static Validated<Utf8Text> Sdp(JsonElement body, RondevuOptions limits)
    {
        if (!body.TryGetProperty("sdp", out var sdp) || !TryGetUtf8Text(sdp, out var text) || text.Length == 0)
        {
            return Validated<Utf8Text>.Invalid("Missing or invalid required parameter: sdp must be a non-empty string");
        }
        return Encoding.UTF8.GetCharCount(text.AsSpan()) > limits.MaxSdpSize
            ? Validated<Utf8Text>.Invalid($"SDP must be {limits.MaxSdpSize} characters or less")
            : text;
    }

    private static Validated<string[]> Topics(JsonElement offer, RondevuOptions limits)
    {
        if (!offer.TryGetProperty("topics", out var topics) || topics.ValueKind != JsonValueKind.Array || topics.GetArrayLength() == 0)
        {
            return Validated<string[]>.Invalid("Each offer must have a non-empty topics array");
        }
        var unique = new List<string>();
        foreach (var topic in topics.EnumerateArray())
        {
            if (!TryGetText(topic, out var text))
            {
                return Validated<string[]>.Invalid("Each topic must be a string of valid Unicode text");
            }
            var error = TopicError(text);
            if (error is not null)
            {
                return Validated<string[]>.Invalid(error);
            }
            if (!unique.Contains(text))
            {
                unique.Add(text);
            }
        }
        return unique.Count > limits.MaxTopicsPerOffer
            ? Validated<string[]>.Invalid($"Too many topics (max {limits.MaxTopicsPerOffer} per offer)")
            : unique.ToArray();
    }

    private static Validated<long> Ttl(JsonElement offer, RondevuOptions limits)
    {
        if (!offer.TryGetProperty("ttl", out var ttl) || ttl.ValueKind == JsonValueKind.Null)
        {
            return limits.OfferDefaultTtl;
        }
        if (ttl.ValueKind != JsonValueKind.Number)
        {
            return Validated<long>.Invalid("ttl must be a number of milliseconds");
        }
        var value = ttl.GetDouble();
        return value == 0
            ? limits.OfferDefaultTtl
            : (long)Math.Clamp(value, limits.OfferMinTtl, limits.OfferMaxTtl);
    }

    /// <summary>An optional string field: absent and null mean no value; any other type is an error.</summary>
    public static Validated<string?> OptionalString(JsonElement body, string property, string label, int maxLength)
    {
        if (!body.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return new Validated<string?>(null, null);
        }
        if (!TryGetText(value, out var text))
        {
            return Validated<string?>.Invalid($"{label} must be a string of valid Unicode text");
        }
        return text.Length > maxLength
            ? Validated<string?>.Invalid($"{label} must be {maxLength} characters or less")
            : text;
    }

    /// <summary>The candidates, each as the exact JSON text sent.</summary>
    public static Validated<string[]> Candidates(JsonElement body, RondevuOptions limits)
    {
        if (!body.TryGetProperty("candidates", out var candidates) || candidates.ValueKind != JsonValueKind.Array || candidates.GetArrayLength() == 0)
        {
            return Validated<string[]>.Invalid("Missing or invalid required parameter: candidates must be a non-empty array");
        }
        if (candidates.GetArrayLength() > limits.MaxCandidatesPerRequest)
        {
            return Validated<string[]>.Invalid($"Too many candidates in one request (max {limits.MaxCandidatesPerRequest})");
        }
        var texts = new List<string>(candidates.GetArrayLength());
        foreach (var candidate in candidates.EnumerateArray())
        {
            if (!TryGetRawText(candidate, out var text))
            {
                return Validated<string[]>.Invalid("Each candidate must be valid UTF-8 JSON");
            }
            if (Encoding.UTF8.GetByteCount(text) > limits.MaxCandidateSize)
            {
                return Validated<string[]>.Invalid($"Each candidate must be {limits.MaxCandidateSize} bytes or less");
            }
            if (Depth(candidate) > MaxCandidateDepth)
            {
                return Validated<string[]>.Invalid($"Each candidate may nest at most {MaxCandidateDepth} levels deep");
            }
            texts.Add(text);
        }
        return texts.ToArray();
    }

    /// <summary>A JSON string as .NET text; false for another kind, and for invalid UTF-8 or a lone
    /// surrogate escape, which the JSON reader accepts but cannot turn into a string.</summary>
    private static bool TryGetText(JsonElement element, out string text)
    {
        text = "";
        if (element.ValueKind != JsonValueKind.String)
        {
            return false;
        }
        try
        {
            text = element.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>A JSON string unescaped straight into UTF-8, without a .NET string in between; false as for
    /// <see cref="TryGetText"/>.</summary>
    private static bool TryGetUtf8Text(JsonElement element, out Utf8Text text)
    {
        text = Utf8Text.Empty;
        if (element.ValueKind != JsonValueKind.String)
        {
            return false;
        }
        var reader = new Utf8JsonReader(JsonMarshal.GetRawUtf8Value(element));
        reader.Read();
        // Unescaping never lengthens a string.
        var buffer = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
        try
        {
            var unescaped = buffer.AsSpan(0, reader.CopyString(buffer));
            if (!Utf8.IsValid(unescaped))
            {
                return false;
            }
            text = Utf8Text.From(unescaped);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool TryGetRawText(JsonElement element, out string text)
    {
        try
        {
            text = element.GetRawText();
            return true;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }

    internal static string? TopicError(string topic) =>
        topic.Length is 0 or > MaxTopicLength ? $"Each topic must be 1 to {MaxTopicLength} characters" : null;

    private static int Depth(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => 1 + element.EnumerateObject().Select(p => Depth(p.Value)).DefaultIfEmpty(0).Max(),
        JsonValueKind.Array => 1 + element.EnumerateArray().Select(Depth).DefaultIfEmpty(0).Max(),
        _ => 0,
    };
}
