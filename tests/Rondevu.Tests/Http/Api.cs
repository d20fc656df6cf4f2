using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Rondevu.Tests.Http;

/// <summary>Credentials as <c>POST /register</c> issues them.</summary>
public sealed record Peer(string Id, string Secret)
{
    public string Header => $"Bearer {Id}:{Secret}";
}

/// <summary>A response with its body read once and parsed on demand.</summary>
public sealed class ApiResponse(HttpResponseMessage message, string text)
{
    private JsonElement? _json;

    public HttpStatusCode Status => message.StatusCode;
    public HttpResponseMessage Message => message;
    public string Text => text;
    public JsonElement Json => _json ??= JsonDocument.Parse(text).RootElement.Clone();

    public string? Header(string name) =>
        message.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : message.Content.Headers.TryGetValues(name, out var content) ? string.Join(",", content)
        : null;

    public override string ToString() => $"{(int)Status} {text}";
}

/// <summary>A thin HTTP client for the gateway: raw JSON in, status and JSON out; no assertion hides in here
/// except in the <c>…Ok</c> helpers that set up a scenario.</summary>
public sealed class Api(HttpClient http)
{
    public HttpClient Http => http;

    public static string TopicPath(string topic, string? query = null) =>
        "/offers/by-topic/" + Uri.EscapeDataString(topic) + (query is null ? "" : "?" + query);

    public static string Unique(string label = "t") => $"{label}-{Guid.NewGuid():N}";

    public Task<ApiResponse> Get(string path, Peer? peer = null) => Send(HttpMethod.Get, path, null, peer?.Header);
    public Task<ApiResponse> Delete(string path, Peer? peer = null) => Send(HttpMethod.Delete, path, null, peer?.Header);
    public Task<ApiResponse> Put(string path, Peer? peer = null, string? json = null) => Send(HttpMethod.Put, path, json, peer?.Header);
    public Task<ApiResponse> Post(string path, string? json, Peer? peer = null) => Send(HttpMethod.Post, path, json, peer?.Header);
    public Task<ApiResponse> Post(string path, object body, Peer? peer = null) => Post(path, JsonSerializer.Serialize(body), peer);

    public async Task<ApiResponse> Send(
        HttpMethod method, string path, string? json, string? authorization, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        configure?.Invoke(request);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse(response, text);
    }

    public async Task<Peer> Register()
    {
        var response = await Post("/register", "{}");
        Assert.True(response.Status == HttpStatusCode.OK, response.ToString());
        return new Peer(response.Json.GetProperty("peerId").GetString()!, response.Json.GetProperty("secret").GetString()!);
    }

    /// <summary>Publishes offers given as JSON objects and returns the created offers' ids.</summary>
    public async Task<string[]> PublishOk(Peer peer, params object[] offers)
    {
        var response = await Post("/offers", new { offers }, peer);
        Assert.True(response.Status == HttpStatusCode.OK, response.ToString());
        return response.Json.GetProperty("offers").EnumerateArray().Select(o => o.GetProperty("id").GetString()!).ToArray();
    }

    public async Task<string> PublishOneOk(Peer peer, string topic, string? secret = null, long? ttl = null, string sdp = "v=0 offer")
    {
        var offer = new Dictionary<string, object> { ["sdp"] = sdp, ["topics"] = new[] { topic } };
        if (secret is not null) offer["secret"] = secret;
        if (ttl is not null) offer["ttl"] = ttl;
        return (await PublishOk(peer, offer)).Single();
    }

    public async Task<ApiResponse> Answer(Peer peer, string offerId, string sdp = "v=0 answer", string? secret = null) =>
        await Post($"/offers/{offerId}/answer", secret is null ? new { sdp } : new { sdp, secret }, peer);

    public async Task<long> AnswerOk(Peer peer, string offerId, string sdp = "v=0 answer", string? secret = null)
    {
        var response = await Answer(peer, offerId, sdp, secret);
        Assert.True(response.Status == HttpStatusCode.OK, response.ToString());
        return response.Json.GetProperty("answeredAt").GetInt64();
    }

    public Task<ApiResponse> PostCandidates(Peer peer, string offerId, string candidatesJsonArray) =>
        Post($"/offers/{offerId}/ice-candidates", $"{{\"candidates\":{candidatesJsonArray}}}", peer);

    public async Task<JsonElement[]> CandidatesOk(Peer peer, string offerId, string? since = null)
    {
        var response = await Get($"/offers/{offerId}/ice-candidates" + (since is null ? "" : "?since=" + since), peer);
        Assert.True(response.Status == HttpStatusCode.OK, response.ToString());
        return response.Json.GetProperty("candidates").EnumerateArray().ToArray();
    }

    public async Task<JsonElement> DiscoverOk(string topic, string? query = null)
    {
        var response = await Get(TopicPath(topic, query));
        Assert.True(response.Status == HttpStatusCode.OK, response.ToString());
        return response.Json;
    }

    public async Task<JsonElement[]> MineOk(Peer peer)
    {
        var response = await Get("/offers/mine", peer);
        Assert.True(response.Status == HttpStatusCode.OK, response.ToString());
        return response.Json.GetProperty("offers").EnumerateArray().ToArray();
    }
}

public static class Expect
{
    /// <summary>Every failure is <c>{"error": "..."}</c>: JSON, one non-empty string property, nothing else.</summary>
    public static string Error(ApiResponse response, HttpStatusCode status, string? contains = null)
    {
        Assert.True(response.Status == status, $"expected {(int)status}, got {response}");
        Assert.Equal("application/json", response.Message.Content.Headers.ContentType?.MediaType);
        var json = response.Json;
        Assert.Equal(JsonValueKind.Object, json.ValueKind);
        Keys(json, "error");
        var error = json.GetProperty("error");
        Assert.Equal(JsonValueKind.String, error.ValueKind);
        var message = error.GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(message));
        Assert.DoesNotContain("   at ", message);
        Assert.DoesNotContain("Exception", message);
        if (contains is not null)
        {
            Assert.Contains(contains, message, StringComparison.OrdinalIgnoreCase);
        }
        return message;
    }

    public static JsonElement Ok(ApiResponse response)
    {
        Assert.True(response.Status == HttpStatusCode.OK, $"expected 200, got {response}");
        Assert.Equal("application/json", response.Message.Content.Headers.ContentType?.MediaType);
        return response.Json;
    }

    /// <summary>The object has exactly these properties: absent values are omitted, not null.</summary>
    public static void Keys(JsonElement json, params string[] keys)
    {
        var actual = json.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(keys.Order(StringComparer.Ordinal).ToArray(), actual);
        foreach (var property in json.EnumerateObject())
        {
            Assert.True(property.Value.ValueKind != JsonValueKind.Null, $"{property.Name} is null; absent values must be omitted");
        }
    }

    public static void HexId(string? id)
    {
        Assert.NotNull(id);
        Assert.Matches("^[0-9a-f]{32}$", id);
    }

    public static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    public static string[] Ids(JsonElement offers) =>
        offers.EnumerateArray().Select(o => o.GetProperty("id").GetString()!).ToArray();
}
