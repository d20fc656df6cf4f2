using System.Net;
using System.Text.Json;

namespace Rondevu.Tests.Http;

/// <summary>API.md "ICE candidates".</summary>
[Collection("gateway")]
public sealed class IceCandidateTests(GatewayFixture gateway)
{
    private const string UnknownOffer = "0123456789abcdef0123456789abcdef";
    private readonly Api _api = gateway.Api;

    private async Task<(Peer Offerer, Peer Answerer, string OfferId)> Answered()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var id = await _api.PublishOneOk(offerer, Api.Unique());
        await _api.AnswerOk(answerer, id);
        return (offerer, answerer, id);
    }

    private static string Candidate(int i) =>
        $"{{\"candidate\":\"candidate:{i} 1 udp 2122260223 192.168.1.{i % 250} 5{i:0000} typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0,\"usernameFragment\":\"uf{i}\"}}";

    private static string Array(IEnumerable<string> items) => "[" + string.Join(",", items) + "]";

    private static long[] CreatedAts(IEnumerable<JsonElement> candidates) =>
        candidates.Select(c => c.GetProperty("createdAt").GetInt64()).ToArray();

    private static void StrictlyIncreasing(long[] values)
    {
        for (var i = 1; i < values.Length; i++)
        {
            Assert.True(values[i] > values[i - 1], $"createdAt not strictly increasing at {i}: {string.Join(",", values)}");
        }
    }

    [Fact]
    public async Task Post_returns_offerId_and_candidatesAdded()
    {
        var (_, answerer, id) = await Answered();
        var json = Expect.Ok(await _api.PostCandidates(answerer, id, Array([Candidate(1), Candidate(2)])));
        Expect.Keys(json, "offerId", "candidatesAdded");
        Assert.Equal(id, json.GetProperty("offerId").GetString());
        Assert.Equal(2, json.GetProperty("candidatesAdded").GetInt32());
    }

    [Fact]
    public async Task Get_returns_only_the_other_sides_candidates_with_peerId_role_createdAt_oldest_first()
    {
        var (offerer, answerer, id) = await Answered();
        Expect.Ok(await _api.PostCandidates(offerer, id, Array([Candidate(1), Candidate(2)])));
        Expect.Ok(await _api.PostCandidates(answerer, id, Array([Candidate(3)])));
        Expect.Ok(await _api.PostCandidates(answerer, id, Array([Candidate(4)])));

        var forOfferer = Expect.Ok(await _api.Get($"/offers/{id}/ice-candidates", offerer));
        Expect.Keys(forOfferer, "offerId", "candidates");
        Assert.Equal(id, forOfferer.GetProperty("offerId").GetString());
        var fromAnswerer = forOfferer.GetProperty("candidates").EnumerateArray().ToArray();
        Assert.Equal([Candidate(3), Candidate(4)], fromAnswerer.Select(c => c.GetProperty("candidate").GetRawText()));
        foreach (var c in fromAnswerer)
        {
            Expect.Keys(c, "candidate", "peerId", "role", "createdAt");
            Assert.Equal(answerer.Id, c.GetProperty("peerId").GetString());
            Assert.Equal("answerer", c.GetProperty("role").GetString());
        }
        StrictlyIncreasing(CreatedAts(fromAnswerer));

        var fromOfferer = await _api.CandidatesOk(answerer, id);
        Assert.Equal([Candidate(1), Candidate(2)], fromOfferer.Select(c => c.GetProperty("candidate").GetRawText()));
        Assert.All(fromOfferer, c => Assert.Equal(offerer.Id, c.GetProperty("peerId").GetString()));
        Assert.All(fromOfferer, c => Assert.Equal("offerer", c.GetProperty("role").GetString()));
    }

    [Fact]
    public async Task Offerer_may_post_before_an_answer_and_the_answerer_reads_them_after()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var id = await _api.PublishOneOk(offerer, Api.Unique());
        Expect.Ok(await _api.PostCandidates(offerer, id, Array([Candidate(1)])));
        Assert.Empty(await _api.CandidatesOk(offerer, id));
        await _api.AnswerOk(answerer, id);
        Assert.Single(await _api.CandidatesOk(answerer, id));
    }

    [Fact]
    public async Task Stranger_posting_or_reading_candidates_is_403()
    {
        var (_, _, id) = await Answered();
        var stranger = await _api.Register();
        Expect.Error(await _api.PostCandidates(stranger, id, Array([Candidate(1)])), HttpStatusCode.Forbidden);
        Expect.Error(await _api.Get($"/offers/{id}/ice-candidates", stranger), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Candidates_on_unknown_offer_are_404()
    {
        var peer = await _api.Register();
        Expect.Error(await _api.PostCandidates(peer, UnknownOffer, Array([Candidate(1)])), HttpStatusCode.NotFound);
        Expect.Error(await _api.Get($"/offers/{UnknownOffer}/ice-candidates", peer), HttpStatusCode.NotFound);
        Expect.Error(await _api.Get("/offers/not-an-id/ice-candidates", peer), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Since_returns_only_candidates_created_after_it()
    {
        var (offerer, answerer, id) = await Answered();
        Expect.Ok(await _api.PostCandidates(answerer, id, Array(Enumerable.Range(0, 5).Select(Candidate))));
        var all = await _api.CandidatesOk(offerer, id);
        var createdAt = CreatedAts(all);

        var after = await _api.CandidatesOk(offerer, id, since: createdAt[1].ToString());
        Assert.Equal(createdAt[2..], CreatedAts(after));
        Assert.Empty(await _api.CandidatesOk(offerer, id, since: createdAt[^1].ToString()));
        Assert.Equal(5, (await _api.CandidatesOk(offerer, id, since: "0")).Length);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("")]
    public async Task Since_not_an_integer_is_400(string since)
    {
        var (offerer, _, id) = await Answered();
        Expect.Error(await _api.Get($"/offers/{id}/ice-candidates?since={since}", offerer), HttpStatusCode.BadRequest, "since");
    }

    [Fact]
    public async Task CreatedAt_is_strictly_increasing_within_a_batch_and_across_posts_in_the_same_millisecond()
    {
        var (offerer, answerer, id) = await Answered();
        Expect.Ok(await _api.PostCandidates(answerer, id, Array(Enumerable.Range(0, 10).Select(Candidate))));
        Expect.Ok(await _api.PostCandidates(answerer, id, Array(Enumerable.Range(10, 10).Select(Candidate))));
        Expect.Ok(await _api.PostCandidates(answerer, id, Array([Candidate(20)])));
        var candidates = await _api.CandidatesOk(offerer, id);
        Assert.Equal(21, candidates.Length);
        StrictlyIncreasing(CreatedAts(candidates));

        // A client polling with the last createdAt it saw never misses one.
        var seen = new List<string>();
        var since = 0L;
        for (var i = 0; i < 3; i++)
        {
            Expect.Ok(await _api.PostCandidates(answerer, id, Array([Candidate(100 + 2 * i), Candidate(101 + 2 * i)])));
            var page = await _api.CandidatesOk(offerer, id, since: since.ToString());
            seen.AddRange(page.Select(c => c.GetProperty("candidate").GetRawText()));
            since = CreatedAts(page).Max();
        }
        Assert.Equal(21 + 6, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Fact]
    public async Task Candidate_is_returned_with_the_exact_json_text_sent()
    {
        var (offerer, answerer, id) = await Answered();
        string[] sent =
        [
            "1.0",
            "\"\\u0041\"",
            "1e2",
            "-0",
            "{ \"candidate\" : \"x\",\"n\":1.50 }",
            "[1, 2,3]",
            "null",
            "true",
            "\"caf\\u00e9 / \\/ \\\"q\\\"\"",
            "\"ünï😀\"",
            "{\"candidate\":\"candidate:1 1 udp 1 1.2.3.4 5 typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0,\"usernameFragment\":null}",
        ];
        Expect.Ok(await _api.Post($"/offers/{id}/ice-candidates", "{\"candidates\":[" + string.Join(",", sent) + "]}", answerer));
        var response = await _api.Get($"/offers/{id}/ice-candidates", offerer);
        var received = Expect.Ok(response).GetProperty("candidates").EnumerateArray().Select(c => c.GetProperty("candidate").GetRawText()).ToArray();
        Assert.Equal(sent, received);
        Assert.Contains("\"candidate\":1.0,", response.Text);
        Assert.Contains("\"candidate\":\"\\u0041\",", response.Text);
    }

    [Fact]
    public async Task Candidate_larger_than_MAX_CANDIDATE_SIZE_utf8_bytes_is_400()
    {
        var (offerer, answerer, id) = await Answered();
        // 2047 two-byte chars + 2 quotes = 4096 UTF-8 bytes (2049 chars): at the limit.
        var atLimit = "\"" + new string('é', 2047) + "\"";
        Expect.Ok(await _api.PostCandidates(answerer, id, Array([atLimit])));
        // One more two-byte char: 4098 bytes though only 2050 chars.
        var over = "\"" + new string('é', 2048) + "\"";
        Expect.Error(await _api.PostCandidates(answerer, id, Array([Candidate(1), over])), HttpStatusCode.BadRequest);
        Assert.Single(await _api.CandidatesOk(offerer, id));
    }

    [Fact]
    public async Task Candidate_nested_deeper_than_10_is_400_and_depth_10_is_accepted()
    {
        var (offerer, answerer, id) = await Answered();
        var depth10 = new string('[', 10) + new string(']', 10);
        var depth10Objects = string.Concat(Enumerable.Repeat("{\"a\":", 9)) + "{}" + new string('}', 9);
        Expect.Ok(await _api.PostCandidates(answerer, id, Array([depth10, depth10Objects, "{}"])));
        var depth11 = new string('[', 11) + new string(']', 11);
        Expect.Error(await _api.PostCandidates(answerer, id, Array([depth11])), HttpStatusCode.BadRequest);
        var depth11Mixed = "{\"a\":" + depth10 + "}";
        Expect.Error(await _api.PostCandidates(answerer, id, Array([depth11Mixed])), HttpStatusCode.BadRequest);
        Assert.Equal([depth10, depth10Objects, "{}"], (await _api.CandidatesOk(offerer, id)).Select(c => c.GetProperty("candidate").GetRawText()));
    }

    [Fact]
    public async Task More_than_MAX_CANDIDATES_PER_REQUEST_is_400()
    {
        var (offerer, answerer, id) = await Answered();
        Expect.Error(await _api.PostCandidates(answerer, id, Array(Enumerable.Repeat("1", 101))), HttpStatusCode.BadRequest);
        Assert.Empty(await _api.CandidatesOk(offerer, id));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"candidates\":[]}")]
    [InlineData("{\"candidates\":null}")]
    [InlineData("{\"candidates\":{\"candidate\":\"x\"}}")]
    [InlineData("[\"x\"]")]
    [InlineData("{\"candidates\":[")]
    public async Task Candidates_missing_empty_or_not_an_array_is_400(string body)
    {
        var (_, answerer, id) = await Answered();
        Expect.Error(await _api.Post($"/offers/{id}/ice-candidates", body, answerer), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task More_than_MAX_ICE_CANDIDATES_PER_OFFER_per_side_is_429_and_the_other_side_is_unaffected()
    {
        var (offerer, answerer, id) = await Answered();
        Expect.Ok(await _api.PostCandidates(answerer, id, Array(Enumerable.Range(0, 50).Select(Candidate))));
        Expect.Error(await _api.PostCandidates(answerer, id, Array([Candidate(50)])), HttpStatusCode.TooManyRequests);
        Assert.Equal(50, (await _api.CandidatesOk(offerer, id)).Length);
        Expect.Ok(await _api.PostCandidates(offerer, id, Array(Enumerable.Range(0, 50).Select(Candidate))));
    }

    [Fact]
    public async Task Batch_that_would_pass_the_per_side_cap_is_rejected_whole()
    {
        var (offerer, answerer, id) = await Answered();
        Expect.Ok(await _api.PostCandidates(answerer, id, Array(Enumerable.Range(0, 45).Select(Candidate))));
        Expect.Error(await _api.PostCandidates(answerer, id, Array(Enumerable.Range(45, 10).Select(Candidate))), HttpStatusCode.TooManyRequests);
        Assert.Equal(45, (await _api.CandidatesOk(offerer, id)).Length);
    }

    [Fact]
    public async Task Concurrent_single_candidate_posts_from_the_client_are_all_stored()
    {
        var (offerer, answerer, id) = await Answered();
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => _api.PostCandidates(answerer, id, Array([Candidate(i)]))));
        Assert.All(responses, r => Expect.Ok(r));
        var candidates = await _api.CandidatesOk(offerer, id);
        Assert.Equal(
            Enumerable.Range(0, 20).Select(Candidate).Order(StringComparer.Ordinal),
            candidates.Select(c => c.GetProperty("candidate").GetRawText()).Order(StringComparer.Ordinal));
        StrictlyIncreasing(CreatedAts(candidates));
    }
}
