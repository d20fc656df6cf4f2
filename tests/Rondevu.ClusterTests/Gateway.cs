using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rondevu.ClusterTests;

public sealed record Peer(string Id, string Secret)
{
    public string Bearer => $"{Id}:{Secret}";
}

/// <summary>One HTTP exchange. <see cref="Status"/> is 0 when no response came (timeout or connection failure).</summary>
public sealed record Reply(int Status, string Body, TimeSpan Elapsed, string? Failure = null)
{
    public bool Ok => Status is >= 200 and < 300;
    public bool ServerError => Status >= 500;
    public bool TimedOut => Failure is not null && Failure.StartsWith("timeout", StringComparison.Ordinal);
    public JsonNode Json => JsonNode.Parse(Body) ?? throw new InvalidOperationException("empty body");

    public override string ToString() => Status == 0 ? $"no response ({Failure}) after {Elapsed.TotalSeconds:F1} s" : $"{Status} {Body}";
}

/// <summary>An HTTP client of one gateway. Every request ends within <see cref="Timeout"/>.</summary>
public sealed class Gateway : IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(40);
    private readonly HttpClient _http;

    public Gateway(int number, Uri baseAddress)
    {
        Number = number;
        BaseAddress = baseAddress;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1), MaxConnectionsPerServer = 64 })
        {
            BaseAddress = baseAddress,
            Timeout = Timeout,
        };
    }

    public int Number { get; }
    public Uri BaseAddress { get; }

    public override string ToString() => $"gateway {Number}";

    public async Task<Reply> SendAsync(HttpMethod method, string path, string? json = null, Peer? peer = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        if (peer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", peer.Bearer);
        }
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return new Reply((int)response.StatusCode, body, clock.Elapsed);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new Reply(0, "", clock.Elapsed, $"timeout after {Timeout.TotalSeconds:F0} s");
        }
        catch (HttpRequestException e)
        {
            return new Reply(0, "", clock.Elapsed, $"connection: {e.Message}");
        }
    }

    public Task<Reply> GetAsync(string path, Peer? peer = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, path, null, peer, cancellationToken);

    public Task<Reply> PostAsync(string path, object body, Peer? peer = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, path, body as string ?? JsonSerializer.Serialize(body, Json.Options), peer, cancellationToken);

    public async Task<Peer> RegisterAsync()
    {
        var reply = await PostAsync("/register", "{}");
        Assert.True(reply.Ok, $"POST /register on {this}: {reply}");
        var json = reply.Json;
        return new Peer((string)json["peerId"]!, (string)json["secret"]!);
    }

    /// <summary>Publishes one offer; returns the reply (the id is in offers[0].id when it succeeded).</summary>
    public Task<Reply> CreateOfferAsync(Peer peer, string sdp, string[] topics, long? ttl = null, string? secret = null, string? info = null)
    {
        var offer = new JsonObject { ["sdp"] = sdp, ["topics"] = new JsonArray(topics.Select(t => (JsonNode)t!).ToArray()) };
        if (ttl is { } t) offer["ttl"] = t;
        if (secret is not null) offer["secret"] = secret;
        if (info is not null) offer["info"] = info;
        return PostAsync("/offers", new JsonObject { ["offers"] = new JsonArray(offer) }.ToJsonString(), peer);
    }

    public async Task<string> CreateOfferOkAsync(Peer peer, string sdp, string[] topics, long? ttl = null, string? secret = null, string? info = null)
    {
        var reply = await CreateOfferAsync(peer, sdp, topics, ttl, secret, info);
        Assert.True(reply.Ok, $"POST /offers on {this}: {reply}");
        return (string)reply.Json["offers"]![0]!["id"]!;
    }

    public Task<Reply> AnswerAsync(Peer answerer, string offerId, string sdp, string? secret = null)
    {
        var body = new JsonObject { ["sdp"] = sdp };
        if (secret is not null) body["secret"] = secret;
        return PostAsync($"/offers/{offerId}/answer", body.ToJsonString(), answerer);
    }

    /// <summary>Posts candidates given as raw JSON texts, which the server must hand back byte for byte.</summary>
    public Task<Reply> PostCandidatesAsync(Peer peer, string offerId, params string[] rawCandidates) =>
        PostAsync($"/offers/{offerId}/ice-candidates", "{\"candidates\":[" + string.Join(',', rawCandidates) + "]}", peer);

    public void Dispose() => _http.Dispose();
}

public static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>The raw JSON text of each candidate of a candidates response, in order.</summary>
    public static List<string> CandidateTexts(string body)
    {
        using var document = JsonDocument.Parse(body);
        var list = new List<string>();
        foreach (var item in document.RootElement.GetProperty("candidates").EnumerateArray())
        {
            list.Add(item.GetProperty("candidate").GetRawText());
        }
        return list;
    }

    /// <summary>A canonical text of a JSON value: the arrays named in <paramref name="sortArraysBy"/>
    /// sorted by the given member, and the members in <paramref name="drop"/> left out.</summary>
    public static string Canonical(string body, IReadOnlyDictionary<string, string[]>? sortArraysBy = null, params string[] drop)
    {
        var node = JsonNode.Parse(body)!;
        Normalize(node, sortArraysBy ?? new Dictionary<string, string[]>(), drop);
        return node.ToJsonString();
    }

    private static void Normalize(JsonNode? node, IReadOnlyDictionary<string, string[]> sortBy, string[] drop)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in drop) obj.Remove(name);
                foreach (var (name, child) in obj.ToArray())
                {
                    Normalize(child, sortBy, drop);
                    if (child is JsonArray array && sortBy.TryGetValue(name, out var keys))
                    {
                        var sorted = array.Select(i => i!.DeepClone())
                            .OrderBy(i => keys.Length == 0 ? i.ToJsonString() : string.Join("|", keys.Select(k => i[k]?.ToJsonString() ?? "")), StringComparer.Ordinal)
                            .ToArray();
                        obj[name] = new JsonArray(sorted);
                    }
                }
                break;
            case JsonArray arr:
                foreach (var child in arr) Normalize(child, sortBy, drop);
                break;
        }
    }
}

public static class Ice
{
    /// <summary>A browser-like candidate, distinct per tag and number; sent as raw JSON.</summary>
    public static string Candidate(string tag, int n) =>
        $$"""{"candidate":"candidate:{{n}} 1 udp 2122260223 10.0.{{n % 250}}.1 {{5000 + n}} typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"{{tag}}","v":1.0}""";
}

public static class Eventually
{
    /// <summary>Polls <paramref name="check"/> until it returns null (success) or the deadline passes;
    /// then fails with the last reason it gave.</summary>
    public static async Task<TimeSpan> HoldsAsync(string what, TimeSpan deadline, Func<Task<string?>> check, TimeSpan? interval = null)
    {
        var clock = Stopwatch.StartNew();
        string? reason;
        while (true)
        {
            reason = await check();
            if (reason is null)
            {
                return clock.Elapsed;
            }
            if (clock.Elapsed > deadline)
            {
                break;
            }
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(250));
        }
        Assert.Fail($"{what}: still not true after {deadline.TotalSeconds:F0} s: {reason}");
        return clock.Elapsed;
    }

    /// <summary>Repeats a read while the cluster answers 5xx or nothing (a silo was just lost), until a
    /// definite answer or the deadline.</summary>
    public static async Task<Reply> ReadAsync(Func<Task<Reply>> read, TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var reply = await read();
            if ((reply.Status != 0 && !reply.ServerError) || clock.Elapsed > deadline)
            {
                return reply;
            }
            await Task.Delay(500);
        }
    }
}
