using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rondevu.Gateway.Auth;
using Rondevu.Tests.Http;
using Xunit.Abstractions;

namespace Rondevu.Tests.Hardening;

/// <summary>
/// Thousands of malformed requests over every route: never a 5xx, never a hang, every error
/// <c>{"error": "..."}</c>, and the offers that existed before come out exactly as they were.
/// Every run sends the same number of requests, however fast the machine, so its speed never decides
/// what is covered. The main run has a fixed seed; a second, smaller one a new seed each time, to find
/// what the fixed one misses. Each prints its seed: <c>RONDEVU_FUZZ_SEED=&lt;seed&gt;</c> repeats a run in
/// the main test, and <c>RONDEVU_FUZZ_REQUESTS</c> resizes it.
/// </summary>
[Collection("hardening-fuzz")]
public sealed class FuzzTests(FuzzGatewayFixture gateway, ITestOutputHelper output)
{
    private const int FixedSeed = 20_261_130;
    private const int FixedSeedRequests = 2000;
    private const int RandomSeedRequests = 500;
    private const int Workers = 6;
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Not a budget: a run that has not sent all its requests by then fails, as a hung gateway would.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(5);

    private readonly Api _api = gateway.Api;

    [Fact]
    public Task Malformed_requests_on_every_route_get_a_JSON_4xx_and_change_nothing() => FuzzAsync(
        int.TryParse(Environment.GetEnvironmentVariable("RONDEVU_FUZZ_SEED"), out var seed) ? seed : FixedSeed,
        int.TryParse(Environment.GetEnvironmentVariable("RONDEVU_FUZZ_REQUESTS"), out var total) ? total : FixedSeedRequests);

    [Fact]
    public Task Malformed_requests_from_a_new_seed_get_a_JSON_4xx_and_change_nothing() =>
        FuzzAsync(Random.Shared.Next(), RandomSeedRequests);

    private async Task FuzzAsync(int seed, int total)
    {
        Report($"fuzz: seed {seed}, {total} requests, {Workers} at a time " +
            $"(RONDEVU_FUZZ_SEED={seed} RONDEVU_FUZZ_REQUESTS={total} repeats it in the fixed-seed test)");

        var known = await CreateKnownOffersAsync();
        var before = await SnapshotAsync(known);

        var otherKey = new CredentialCipher(Convert.FromHexString("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"));
        var otherKeyId = Guid.NewGuid().ToString("N");
        var inputs = new FuzzGenerator.Inputs(
            known.Owner,
            [known.AnswererA, known.AnswererB],
            known.OfferIds,
            known.Topic,
            Enumerable.Range(0, 4).Select(_ => gateway.IssuePeer()).ToArray(),
            new Peer(otherKeyId, otherKey.Issue(otherKeyId)));
        var generator = new FuzzGenerator(seed, inputs);

        var statuses = new ConcurrentDictionary<int, int>();
        var kinds = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentQueue<string>();
        var protocolRejections = 0;
        var cutOversize = 0;
        var sent = 0;
        var index = 0;
        var slowest = TimeSpan.Zero;
        var clock = Stopwatch.StartNew();

        await Parallel.ForEachAsync(Enumerable.Range(0, Workers), async (_, _) =>
        {
            while (clock.Elapsed < Deadline)
            {
                RawRequest request;
                int number;
                lock (generator)
                {
                    if (index >= total) return;
                    number = index++;
                    request = generator.Next(); // under the lock: request #k is the same whatever the thread timing
                }
                var started = Stopwatch.GetTimestamp();
                Interlocked.Increment(ref sent);
                foreach (var kind in request.Kind.Split('+'))
                {
                    kinds.AddOrUpdate(kind, 1, (_, c) => c + 1);
                }
                try
                {
                    var response = await RawHttp.SendAsync(gateway.Port, request, ClientTimeout);
                    statuses.AddOrUpdate(response.Status, 1, (_, c) => c + 1);
                    if (Check(request, response) is { } problem)
                    {
                        failures.Enqueue($"#{number} {problem}\n    request: {request}\n    response: {response.Status} {Truncate(response.Text)}");
                    }
                    else if (request.ProtocolLevel && response.Body.Length == 0 && response.Status is >= 400 and < 500)
                    {
                        Interlocked.Increment(ref protocolRejections);
                    }
                }
                catch (IOException) when (request.Oversize)
                {
                    Interlocked.Increment(ref cutOversize);
                }
                catch (Exception e) when (e is TimeoutException or IOException)
                {
                    statuses.AddOrUpdate(e is TimeoutException ? -1 : -2, 1, (_, c) => c + 1);
                    failures.Enqueue($"#{number} {e.GetType().Name}: {e.Message}\n    request: {request}");
                }
                var elapsed = Stopwatch.GetElapsedTime(started);
                lock (failures)
                {
                    if (elapsed > slowest) slowest = elapsed;
                }
            }
        });
        clock.Stop();

        var after = await SnapshotAsync(known);
        var serverErrors = statuses.Where(s => s.Key >= 500).Sum(s => s.Value);
        var timeouts = statuses.GetValueOrDefault(-1);

        Report($"fuzz: {sent} requests in {clock.Elapsed.TotalSeconds:F1} s ({sent / clock.Elapsed.TotalSeconds:F0}/s), slowest {slowest.TotalMilliseconds:F0} ms, seed {seed}");
        Report("fuzz: status histogram: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{Label(s.Key)}: {s.Value}")));
        Report($"fuzz: 5xx = {serverErrors}, timeouts = {timeouts}, contract failures = {failures.Count}, " +
            $"bodiless 4xx from Kestrel on invalid HTTP = {protocolRejections}, connections cut after an 11 MB body = {cutOversize}");
        Report("fuzz: mutations: " + string.Join(", ", kinds.OrderByDescending(k => k.Value).Select(k => $"{k.Key} {k.Value}")));
        foreach (var failure in failures.Take(25))
        {
            Report("fuzz FAILURE " + failure);
        }
        if (!failures.IsEmpty)
        {
            var file = Path.Combine(AppContext.BaseDirectory, $"fuzz-failures-{seed}.txt");
            await File.WriteAllLinesAsync(file, failures);
            Report($"fuzz: all {failures.Count} failures are in {file}");
        }
        var changed = before.Where(b => after[b.Key] != b.Value).Select(b => $"{b.Key}:\n  before {b.Value}\n  after  {after[b.Key]}").ToArray();
        foreach (var change in changed)
        {
            Report("fuzz STATE CHANGED " + change);
        }

        Assert.True(sent == total, $"only {sent} of {total} requests were sent within {Deadline.TotalMinutes} min (seed {seed})");
        Assert.True(serverErrors == 0, $"{serverErrors} responses were 5xx (seed {seed}); see the output");
        Assert.True(failures.IsEmpty, $"{failures.Count} contract failures (seed {seed}), first: {failures.FirstOrDefault()}");
        Assert.Empty(changed);
    }

    /// <summary>Null when the response keeps the contract.</summary>
    private static string? Check(RawRequest request, RawResponse response)
    {
        if (response.Status >= 500) return $"server error {response.Status}";
        if (response.Status < 400 || request.Method == "HEAD") return null;
        if (request.ProtocolLevel && response.Body.Length == 0) return null; // Kestrel's own rejection of invalid HTTP
        if (response.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return $"error without a JSON body (Content-Type {response.ContentType ?? "none"})";
        }
        try
        {
            using var json = JsonDocument.Parse(response.Body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || root.EnumerateObject().Count() != 1 ||
                !root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.String ||
                string.IsNullOrWhiteSpace(error.GetString()))
            {
                return "error body is not {\"error\": string}";
            }
            if (error.GetString()!.Contains("Exception", StringComparison.Ordinal) || error.GetString()!.Contains("   at ", StringComparison.Ordinal))
            {
                return "error message leaks an exception";
            }
        }
        catch (JsonException)
        {
            return "error body is not JSON";
        }
        return null;
    }

    private sealed record Known(Peer Owner, Peer AnswererA, Peer AnswererB, string[] OfferIds, string Topic);

    /// <summary>Three offers of one owner on a topic of their own: two answered with candidates both ways
    /// or one way, one protected by a secret and still open (so discovery shows it).</summary>
    private async Task<Known> CreateKnownOffersAsync()
    {
        var owner = await _api.Register();
        var a = await _api.Register();
        var b = await _api.Register();
        var topic = Api.Unique("fuzz-known");
        var ids = await _api.PublishOk(owner,
            new { sdp = "v=0 known-1", topics = new[] { topic, topic + "-2" }, ttl = 3_600_000, secret = "known-secret-1", info = "one" },
            new { sdp = "v=0 known-2", topics = new[] { topic }, ttl = 3_600_000 },
            new { sdp = "v=0 known-3", topics = new[] { topic }, ttl = 3_600_000, secret = "known-secret-3" });
        await _api.AnswerOk(a, ids[0], "v=0 answer-a", "known-secret-1");
        await _api.AnswerOk(b, ids[1], "v=0 answer-b");
        Expect.Ok(await _api.PostCandidates(owner, ids[0], """[{"candidate":"candidate:1 1 udp 1 192.0.2.1 1 typ host","sdpMid":"0"}, 1.0]"""));
        Expect.Ok(await _api.PostCandidates(a, ids[0], """[{"candidate":"candidate:2 1 udp 1 192.0.2.2 2 typ host"}]"""));
        Expect.Ok(await _api.PostCandidates(owner, ids[1], """["offerer-only"]"""));
        Expect.Ok(await _api.PostCandidates(owner, ids[2], """["before-answer"]"""));
        return new Known(owner, a, b, ids, topic);
    }

    private async Task<Dictionary<string, string>> SnapshotAsync(Known known)
    {
        var reads = new List<(string Name, string Path, Peer? Peer)>
        {
            ("mine", "/offers/mine", known.Owner),
            ("answers", "/offers/answers", known.Owner),
            ("poll owner", "/poll?since=0", known.Owner),
            ("poll a", "/poll?since=0", known.AnswererA),
            ("poll b", "/poll?since=0", known.AnswererB),
            ("peer offers", $"/peers/{known.Owner.Id}/offers", null),
            ("by-topic", Api.TopicPath(known.Topic), null),
            ("by-topic-2", Api.TopicPath(known.Topic + "-2"), null),
            ("topics", "/topics?startsWith=" + Uri.EscapeDataString(known.Topic), null),
            ("ice 0 owner", $"/offers/{known.OfferIds[0]}/ice-candidates?since=0", known.Owner),
            ("ice 0 a", $"/offers/{known.OfferIds[0]}/ice-candidates?since=0", known.AnswererA),
            ("ice 1 owner", $"/offers/{known.OfferIds[1]}/ice-candidates?since=0", known.Owner),
            ("ice 1 b", $"/offers/{known.OfferIds[1]}/ice-candidates?since=0", known.AnswererB),
            ("ice 2 owner", $"/offers/{known.OfferIds[2]}/ice-candidates?since=0", known.Owner),
        };
        var snapshot = new Dictionary<string, string>();
        foreach (var (name, path, peer) in reads)
        {
            var response = await _api.Get(path, peer);
            Expect.Ok(response);
            // A poll's timestamp is the time of the call, not state.
            snapshot[name] = Regex.Replace(response.Text, "\"timestamp\":\\d+", "\"timestamp\":T");
        }
        return snapshot;
    }

    private static string Label(int status) => status switch { -1 => "timeout", -2 => "no response", _ => status.ToString() };

    private static string Truncate(string text) => text.Length > 300 ? text[..300] + "…" : text;

    /// <summary>To the test's output, to the console (shown by <c>dotnet test --logger "console;verbosity=detailed"</c>)
    /// and to <c>fuzz-summary.txt</c> beside the test assembly.</summary>
    private void Report(string line)
    {
        output.WriteLine(line);
        Console.WriteLine(line);
        lock (typeof(FuzzTests))
        {
            File.AppendAllText(Path.Combine(AppContext.BaseDirectory, "fuzz-summary.txt"), $"{DateTime.UtcNow:O} {line}{Environment.NewLine}");
        }
    }
}

/// <summary>The fuzzer's findings, one request each: text JSON can carry that is not a valid string
/// (raw bytes that are not UTF-8, an unpaired UTF-16 surrogate escape) is the client's mistake: 400.</summary>
[Collection("hardening-fuzz")]
public sealed class MalformedTextTests(FuzzGatewayFixture gateway)
{
    private static readonly string AnyOfferId = new('a', 32);

    public static TheoryData<string, string, string> Cases => new()
    {
        { "offers sdp, raw 0xFF", "/offers", "{\"offers\":[{\"sdp\":\"v=0 \u00ff\",\"topics\":[\"t\"]}]}" },
        { "offers sdp, overlong C0 80", "/offers", "{\"offers\":[{\"sdp\":\"v=0 \u00c0\u0080\",\"topics\":[\"t\"]}]}" },
        { "offers sdp, lone surrogate escape", "/offers", """{"offers":[{"sdp":"v=0 \ud800","topics":["t"]}]}""" },
        { "offers topic, lone surrogate escape", "/offers", """{"offers":[{"sdp":"v=0","topics":["\ud800"]}]}""" },
        { "offers topic, raw 0xFE", "/offers", "{\"offers\":[{\"sdp\":\"v=0\",\"topics\":[\"t\u00fe\"]}]}" },
        { "offers secret, lone surrogate escape", "/offers", """{"offers":[{"sdp":"v=0","topics":["t"],"secret":"\udfff"}]}""" },
        { "offers info, truncated E2 82", "/offers", "{\"offers\":[{\"sdp\":\"v=0\",\"topics\":[\"t\"],\"info\":\"\u00e2\u0082\"}]}" },
        { "answer sdp, raw 0x80", "/offers/{id}/answer", "{\"sdp\":\"v=0 \u0080\"}" },
        { "answer sdp, lone surrogate escape", "/offers/{id}/answer", """{"sdp":"\ud800"}""" },
        { "answer secret, lone surrogate escape", "/offers/{id}/answer", """{"sdp":"v=0","secret":"\udc00"}""" },
        { "candidate, encoded surrogate ED A0 80", "/offers/{id}/ice-candidates", "{\"candidates\":[{\"candidate\":\"\u00ed\u00a0\u0080\"}]}" },
        { "candidate, raw 0xFF", "/offers/{id}/ice-candidates", "{\"candidates\":[\"\u00ff\"]}" },
    };

    /// <param name="body">Each char is one byte (Latin-1), so a case can hold bytes that are not UTF-8.</param>
    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Invalid_text_in_a_JSON_string_is_400(string name, string route, string body)
    {
        var peer = gateway.IssuePeer();
        using var request = new HttpRequestMessage(HttpMethod.Post, route.Replace("{id}", AnyOfferId))
        {
            Content = new ByteArrayContent(System.Text.Encoding.Latin1.GetBytes(body)),
        };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", peer.Header);
        using var response = await gateway.Http.SendAsync(request);
        var result = new ApiResponse(response, await response.Content.ReadAsStringAsync());
        Assert.True((int)result.Status < 500, $"{name}: {result}");
        Expect.Error(result, System.Net.HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_candidate_with_a_lone_surrogate_escape_is_valid_JSON_text_and_stored_verbatim()
    {
        var offerer = gateway.IssuePeer();
        var answerer = gateway.IssuePeer();
        var api = gateway.Api;
        var id = await api.PublishOneOk(offerer, Api.Unique("surrogate"));
        await api.AnswerOk(answerer, id);
        Expect.Ok(await api.PostCandidates(answerer, id, """["\ud800", {"c":"\udfff\ud800"}]"""));

        var candidates = Expect.Ok(await api.Get($"/offers/{id}/ice-candidates", offerer)).GetProperty("candidates");
        Assert.Equal(["\"\\ud800\"", """{"c":"\udfff\ud800"}"""],
            candidates.EnumerateArray().Select(c => c.GetProperty("candidate").GetRawText()));
    }
}

/// <summary>The fuzzer's other finding: a topic of only whitespace is a valid topic (1 to 256 characters,
/// docs/API.md) but not a valid Orleans grain key. It is served like any other topic.</summary>
[Collection("hardening-fuzz")]
public sealed class WhitespaceTopicTests(FuzzGatewayFixture gateway)
{
    [Theory]
    [InlineData("%20")]
    [InlineData("%20%20")]
    [InlineData("%09")]
    [InlineData("%0A")]
    [InlineData("%C2%A0")]
    [InlineData("%E2%80%83")]
    public async Task Discovery_of_an_unused_whitespace_topic_is_200_and_empty(string encoded)
    {
        var json = Expect.Ok(await gateway.Api.Get("/offers/by-topic/" + encoded));
        Assert.Equal(Uri.UnescapeDataString(encoded), json.GetProperty("topic").GetString());
        Assert.Equal(0, json.GetProperty("total").GetInt32());
    }

    // Blanks unlike those above, so that those topics stay unused.
    [Theory]
    [InlineData("   ")]
    [InlineData("\t\t")]
    [InlineData("\u00a0\u00a0")]
    public async Task An_offer_with_a_whitespace_topic_is_stored_and_listed_under_both_its_topics(string blank)
    {
        var api = gateway.Api;
        var peer = gateway.IssuePeer();
        var good = Api.Unique("beside-blank");
        var id = (await api.PublishOk(peer, new { sdp = "v=0", topics = new[] { good, blank } })).Single();

        Assert.Equal([id], (await api.MineOk(peer)).Select(o => o.GetProperty("id").GetString()));
        Assert.Equal([id], Expect.Ids((await api.DiscoverOk(good)).GetProperty("offers")));
        Assert.Contains(id, Expect.Ids((await api.DiscoverOk(blank)).GetProperty("offers")));
        Assert.Equal(1, Expect.Ok(await api.Get("/topics?startsWith=" + Uri.EscapeDataString(good))).GetProperty("total").GetInt32());
        var listed = Expect.Ok(await api.Get($"/peers/{peer.Id}/offers"));
        Assert.Equal([id], Expect.Ids(listed.GetProperty("offers")));
        Assert.Equal(new[] { good, blank }.Order(StringComparer.Ordinal), Expect.Strings(listed.GetProperty("topics")).Order(StringComparer.Ordinal));
    }
}
