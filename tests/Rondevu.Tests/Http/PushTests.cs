using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Rondevu.Tests.Http;

/// <summary>The push extension: <c>wait</c> on answers and candidates, and the combined <c>/poll</c> with its cursor.</summary>
[Collection("gateway")]
public sealed class PushTests(GatewayFixture fixture)
{
    private readonly Api _api = fixture.Api;

    private async Task<(Peer Offerer, Peer Answerer, string OfferId)> PublishedOffer()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var offerId = await _api.PublishOneOk(offerer, Api.Unique("push"));
        return (offerer, answerer, offerId);
    }

    private static async Task<(ApiResponse Response, TimeSpan Elapsed)> Timed(Task<ApiResponse> request)
    {
        var clock = Stopwatch.StartNew();
        var response = await request;
        return (response, clock.Elapsed);
    }

    /// <summary>Sends a held request and returns it, timed from its start, once it waits in the peer grain.</summary>
    private Task<Task<(ApiResponse Response, TimeSpan Elapsed)>> Parked(string path, Peer peer) =>
        fixture.ParkedWaits.StartAsync(peer.Id, () => Timed(_api.Get(path, peer)));

    [Fact]
    public async Task Answers_wait_is_released_as_soon_as_an_answer_arrives()
    {
        var (offerer, answerer, offerId) = await PublishedOffer();
        var waiting = await Parked("/offers/answers?wait=20", offerer);
        await _api.AnswerOk(answerer, offerId, "v=0 pushed-answer");

        var (response, elapsed) = await waiting;
        var answer = Assert.Single(Expect.Ok(response).GetProperty("answers").EnumerateArray());
        Assert.Equal(offerId, answer.GetProperty("offerId").GetString());
        Assert.Equal("v=0 pushed-answer", answer.GetProperty("sdp").GetString());
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"held {elapsed} of its 20 s although the answer came while it waited");
    }

    [Fact]
    public async Task Answers_wait_returns_an_empty_list_when_the_wait_runs_out()
    {
        var (offerer, _, _) = await PublishedOffer();
        var (response, elapsed) = await Timed(_api.Get("/offers/answers?wait=1", offerer));

        Assert.Empty(Expect.Ok(response).GetProperty("answers").EnumerateArray());
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(900), $"returned after {elapsed}, before its wait of 1 s");
    }

    [Fact]
    public async Task Answers_since_returns_only_answers_answered_after_it()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var first = await _api.PublishOneOk(offerer, Api.Unique());
        var second = await _api.PublishOneOk(offerer, Api.Unique());
        var firstAt = await _api.AnswerOk(answerer, first);
        await _api.AnswerOk(answerer, second);

        var answers = Expect.Ok(await _api.Get($"/offers/answers?since={firstAt}", offerer)).GetProperty("answers");
        Assert.Equal(new[] { second }, answers.EnumerateArray().Select(a => a.GetProperty("offerId").GetString()!).ToArray());
    }

    [Fact]
    public async Task Candidates_wait_is_released_when_the_other_side_posts()
    {
        var (offerer, answerer, offerId) = await PublishedOffer();
        await _api.AnswerOk(answerer, offerId);
        var waiting = await Parked($"/offers/{offerId}/ice-candidates?since=0&wait=20", offerer);
        Expect.Ok(await _api.PostCandidates(answerer, offerId, """[{"candidate":"pushed","sdpMid":"0"}]"""));

        var (response, elapsed) = await waiting;
        var candidate = Assert.Single(Expect.Ok(response).GetProperty("candidates").EnumerateArray());
        Assert.Equal("""{"candidate":"pushed","sdpMid":"0"}""", candidate.GetProperty("candidate").GetRawText());
        Assert.Equal("answerer", candidate.GetProperty("role").GetString());
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"held {elapsed} of its 20 s although the candidate came while it waited");
    }

    [Fact]
    public async Task Candidates_wait_is_not_released_by_the_callers_own_candidates()
    {
        var (offerer, answerer, offerId) = await PublishedOffer();
        await _api.AnswerOk(answerer, offerId);
        var waiting = await Parked($"/offers/{offerId}/ice-candidates?since=0&wait=2", offerer);
        Expect.Ok(await _api.PostCandidates(offerer, offerId, """[{"candidate":"mine"}]"""));

        var (response, elapsed) = await waiting;
        Assert.Empty(Expect.Ok(response).GetProperty("candidates").EnumerateArray());
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(1900), $"released after {elapsed} by the caller's own candidate");
    }

    [Fact]
    public async Task Poll_returns_the_answer_and_the_other_sides_candidates_with_a_cursor()
    {
        var (offerer, answerer, offerId) = await PublishedOffer();
        Expect.Ok(await _api.PostCandidates(offerer, offerId, """[{"candidate":"from-offerer"}]"""));
        await _api.AnswerOk(answerer, offerId, "v=0 polled");
        Expect.Ok(await _api.PostCandidates(answerer, offerId, """[{"candidate":"from-answerer"}]"""));

        var offererPoll = Expect.Ok(await _api.Get("/poll?since=0", offerer));
        Expect.Keys(offererPoll, "answers", "iceCandidates", "timestamp");
        var answer = Assert.Single(offererPoll.GetProperty("answers").EnumerateArray());
        Expect.Keys(answer, "offerId", "answererId", "sdp", "answeredAt", "topics");
        Assert.Equal(answerer.Id, answer.GetProperty("answererId").GetString());
        var fromAnswerer = Assert.Single(offererPoll.GetProperty("iceCandidates").EnumerateArray());
        Expect.Keys(fromAnswerer, "offerId", "candidate", "peerId", "role", "createdAt");
        Assert.Equal(offerId, fromAnswerer.GetProperty("offerId").GetString());
        Assert.Equal("""{"candidate":"from-answerer"}""", fromAnswerer.GetProperty("candidate").GetRawText());

        // The answerer hears of candidates the offerer posted before the answer, too.
        var answererPoll = Expect.Ok(await _api.Get("/poll?since=0", answerer));
        Assert.Empty(answererPoll.GetProperty("answers").EnumerateArray());
        var fromOfferer = Assert.Single(answererPoll.GetProperty("iceCandidates").EnumerateArray());
        Assert.Equal("offerer", fromOfferer.GetProperty("role").GetString());

        var cursor = offererPoll.GetProperty("timestamp").GetInt64();
        var next = Expect.Ok(await _api.Get($"/poll?since={cursor}", offerer));
        Assert.Empty(next.GetProperty("answers").EnumerateArray());
        Assert.Empty(next.GetProperty("iceCandidates").EnumerateArray());
        Assert.True(next.GetProperty("timestamp").GetInt64() >= cursor);
    }

    [Fact]
    public async Task Poll_wait_is_released_by_an_answer()
    {
        var (offerer, answerer, offerId) = await PublishedOffer();
        var cursor = Expect.Ok(await _api.Get("/poll", offerer)).GetProperty("timestamp").GetInt64();
        var waiting = await Parked($"/poll?since={cursor}&wait=20", offerer);
        await _api.AnswerOk(answerer, offerId);

        var (response, elapsed) = await waiting;
        Assert.Single(Expect.Ok(response).GetProperty("answers").EnumerateArray());
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"held {elapsed} of its 20 s although the answer came while it waited");
    }

    [Fact]
    public async Task Chaining_poll_cursors_never_skips_a_candidate_under_concurrent_posting()
    {
        const int count = 40;
        var (offerer, answerer, offerId) = await PublishedOffer();
        await _api.AnswerOk(answerer, offerId);

        // The answerer fires single-candidate posts concurrently, as the 0.7.x client does, while the
        // offerer chains cursors.
        var posting = Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            _api.PostCandidates(answerer, offerId, $$"""[{"candidate":"c{{i}}"}]""")));
        var seen = new List<string>();
        var since = 0L;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (seen.Count < count && DateTime.UtcNow < deadline)
        {
            var page = Expect.Ok(await _api.Get($"/poll?since={since}&wait=5", offerer));
            seen.AddRange(page.GetProperty("iceCandidates").EnumerateArray()
                .Select(c => c.GetProperty("candidate").GetProperty("candidate").GetString()!));
            since = page.GetProperty("timestamp").GetInt64();
        }
        Assert.All(await posting, r => Assert.Equal(HttpStatusCode.OK, r.Status));

        Assert.Equal(Enumerable.Range(0, count).Select(i => $"c{i}").Order(), seen.Order());
    }

    [Theory]
    [InlineData("/offers/answers?wait=0")]
    [InlineData("/offers/answers?wait=-1")]
    [InlineData("/offers/answers?wait=1.5")]
    [InlineData("/offers/answers?wait=soon")]
    [InlineData("/offers/answers?wait=")]
    [InlineData("/poll?wait=0")]
    [InlineData("/poll?wait=x")]
    [InlineData("/poll?since=yesterday")]
    [InlineData("/poll?since=1.5")]
    public async Task Bad_wait_or_since_is_400(string path)
    {
        var peer = await _api.Register();
        Expect.Error(await _api.Get(path, peer), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Bad_wait_on_candidates_is_400()
    {
        var (offerer, _, offerId) = await PublishedOffer();
        Expect.Error(await _api.Get($"/offers/{offerId}/ice-candidates?wait=31.0", offerer), HttpStatusCode.BadRequest, "wait");
    }

    [Fact]
    public async Task A_wait_over_30_seconds_is_capped_not_refused()
    {
        var (offerer, answerer, offerId) = await PublishedOffer();
        await _api.AnswerOk(answerer, offerId);

        var response = Expect.Ok(await _api.Get("/offers/answers?wait=3600", offerer));
        Assert.Single(response.GetProperty("answers").EnumerateArray());
    }

    [Fact]
    public async Task Poll_requires_credentials()
    {
        Expect.Error(await _api.Get("/poll"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Waiters_past_MAX_WAITERS_PER_PEER_get_429_and_a_client_that_goes_away_frees_its_slot()
    {
        var peer = await _api.Register();
        using var gone = new CancellationTokenSource();
        Task<HttpResponseMessage> Hold(int i) =>
            _api.Http.SendAsync(Authorized("/poll?wait=20", peer), i == 0 ? gone.Token : CancellationToken.None);
        var held = Enumerable.Range(0, 4).Select(Hold).ToArray();

        // Once all four are waiting, a fifth is refused at once. A probe that got in first holds a
        // slot for its one second, and the holder it pushed out is sent again.
        await Eventually(async () =>
        {
            var probe = await _api.Get("/poll?wait=1", peer);
            for (var i = 0; i < held.Length; i++)
            {
                if (held[i].IsCompleted) held[i] = Hold(i);
            }
            return probe.Status == HttpStatusCode.TooManyRequests;
        }, "a fifth waiter to be refused");
        Expect.Error(await _api.Get("/offers/answers?wait=1", peer), HttpStatusCode.TooManyRequests, "waiting");

        // News releases nobody here, so only the departed client can free a slot.
        gone.Cancel();
        await Eventually(async () => (await _api.Get("/poll?wait=1", peer)).Status == HttpStatusCode.OK, "the departed client's slot to be free");
        Assert.True(held[0].IsCanceled);
        Assert.All(held.Skip(1), h => Assert.False(h.IsCompleted, "the other waiters are still held"));
    }

    private HttpRequestMessage Authorized(string path, Peer peer)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", peer.Header);
        return request;
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
        }
    }
}
