using System.Net;

namespace Rondevu.Tests.Http;

/// <summary>API.md "Answering", "Heartbeat and delete" and <c>GET /offers/answers</c>.</summary>
[Collection("gateway")]
public sealed class AnswerAndLifecycleTests(GatewayFixture gateway)
{
    private const string UnknownOffer = "0123456789abcdef0123456789abcdef";
    private readonly Api _api = gateway.Api;

    [Fact]
    public async Task Answer_returns_offerId_answererId_answeredAt()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var id = await _api.PublishOneOk(offerer, Api.Unique());
        var before = gateway.Clock.NowMs;
        var json = Expect.Ok(await _api.Answer(answerer, id));
        Expect.Keys(json, "offerId", "answererId", "answeredAt");
        Assert.Equal(id, json.GetProperty("offerId").GetString());
        Assert.Equal(answerer.Id, json.GetProperty("answererId").GetString());
        Assert.InRange(json.GetProperty("answeredAt").GetInt64(), before, gateway.Clock.NowMs);
    }

    [Fact]
    public async Task Answer_to_unknown_offer_is_404()
    {
        var answerer = await _api.Register();
        Expect.Error(await _api.Answer(answerer, UnknownOffer), HttpStatusCode.NotFound);
        Expect.Error(await _api.Answer(answerer, "not-an-offer-id"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Answer_to_already_answered_offer_is_409()
    {
        var offerer = await _api.Register();
        var first = await _api.Register();
        var second = await _api.Register();
        var id = await _api.PublishOneOk(offerer, Api.Unique());
        await _api.AnswerOk(first, id);
        Expect.Error(await _api.Answer(second, id), HttpStatusCode.Conflict);
        Expect.Error(await _api.Answer(first, id, "v=0 another answer"), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Retrying_the_same_answer_is_answered_as_the_first_time()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var id = await _api.PublishOneOk(offerer, Api.Unique());
        var answeredAt = await _api.AnswerOk(answerer, id, "v=0 retried");

        Assert.Equal(answeredAt, await _api.AnswerOk(answerer, id, "v=0 retried"));
        var answers = Expect.Ok(await _api.Get("/offers/answers", offerer)).GetProperty("answers");
        Assert.Equal(answeredAt, Assert.Single(answers.EnumerateArray()).GetProperty("answeredAt").GetInt64());
    }

    [Fact]
    public async Task Answer_with_wrong_secret_is_403()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var id = await _api.PublishOneOk(offerer, Api.Unique(), secret: "right");
        Expect.Error(await _api.Answer(answerer, id, secret: "wrong"), HttpStatusCode.Forbidden);
        Expect.Error(await _api.Answer(answerer, id, secret: "righ"), HttpStatusCode.Forbidden);
        Expect.Error(await _api.Answer(answerer, id, secret: "right "), HttpStatusCode.Forbidden);
        // Still unanswered: the right secret wins afterwards.
        await _api.AnswerOk(answerer, id, secret: "right");
    }

    [Fact]
    public async Task Answer_without_secret_to_protected_offer_is_403()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var id = await _api.PublishOneOk(offerer, Api.Unique(), secret: "right");
        Expect.Error(await _api.Answer(answerer, id), HttpStatusCode.Forbidden);
        Expect.Error(await _api.Post($"/offers/{id}/answer", "{\"sdp\":\"v=0\",\"secret\":null}", answerer), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Answer_with_a_secret_to_an_unprotected_offer_succeeds()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var id = await _api.PublishOneOk(offerer, Api.Unique());
        await _api.AnswerOk(answerer, id, secret: "whatever");
    }

    [Fact]
    public async Task Answering_your_own_offer_is_400()
    {
        var offerer = await _api.Register();
        var id = await _api.PublishOneOk(offerer, Api.Unique());
        Expect.Error(await _api.Answer(offerer, id), HttpStatusCode.BadRequest);
        Assert.False((await _api.MineOk(offerer)).Single().TryGetProperty("answererPeerId", out _));
    }

    [Fact]
    public async Task Answer_body_validation_is_400()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var id = await _api.PublishOneOk(offerer, Api.Unique());
        Expect.Error(await _api.Post($"/offers/{id}/answer", "{}", answerer), HttpStatusCode.BadRequest, "sdp");
        Expect.Error(await _api.Post($"/offers/{id}/answer", "{\"sdp\":\"\"}", answerer), HttpStatusCode.BadRequest, "sdp");
        Expect.Error(await _api.Post($"/offers/{id}/answer", "{\"sdp\":5}", answerer), HttpStatusCode.BadRequest, "sdp");
        Expect.Error(await _api.Post($"/offers/{id}/answer", "{\"sdp\":\"v=0\",\"secret\":7}", answerer), HttpStatusCode.BadRequest, "secret");
        Expect.Error(await _api.Post($"/offers/{id}/answer", "{\"sdp\":", answerer), HttpStatusCode.BadRequest, "JSON");
        Expect.Error(await _api.Post($"/offers/{id}/answer", "[\"v=0\"]", answerer), HttpStatusCode.BadRequest);
        Expect.Error(await _api.Post($"/offers/{id}/answer", $"{{\"sdp\":\"{new string('s', 65_537)}\"}}", answerer), HttpStatusCode.BadRequest, "sdp");
        // None of these answered the offer.
        await _api.AnswerOk(answerer, id);
    }

    [Fact]
    public async Task Concurrent_answers_over_http_exactly_one_wins()
    {
        var offerer = await _api.Register();
        var id = await _api.PublishOneOk(offerer, Api.Unique());
        var answerers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => _api.Register()));
        var responses = await Task.WhenAll(answerers.Select(a => _api.Answer(a, id, sdp: "answer from " + a.Id)));

        var winners = responses.Where(r => r.Status == HttpStatusCode.OK).ToArray();
        Assert.Single(winners);
        foreach (var loser in responses.Where(r => r.Status != HttpStatusCode.OK))
        {
            Expect.Error(loser, HttpStatusCode.Conflict);
        }
        var winner = winners[0].Json.GetProperty("answererId").GetString();
        var answers = Expect.Ok(await _api.Get("/offers/answers", offerer)).GetProperty("answers");
        var answer = answers.EnumerateArray().Single();
        Assert.Equal(winner, answer.GetProperty("answererId").GetString());
        Assert.Equal("answer from " + winner, answer.GetProperty("sdp").GetString());
        Assert.Equal(winner, (await _api.MineOk(offerer)).Single().GetProperty("answererPeerId").GetString());
    }

    [Fact]
    public async Task Answered_offer_expiry_becomes_min_of_expiresAt_and_answeredAt_plus_ANSWERED_OFFER_TTL()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var id = await _api.PublishOneOk(offerer, Api.Unique(), ttl: 600_000);
        var answeredAt = await _api.AnswerOk(answerer, id);
        var offer = (await _api.MineOk(offerer)).Single();
        Assert.Equal(answeredAt + GatewayFixture.AnsweredTtl, offer.GetProperty("expiresAt").GetInt64());

        // An offer that ends sooner than that keeps its own expiry.
        var shortLived = await _api.PublishOneOk(offerer, Api.Unique(), ttl: GatewayFixture.MinTtl);
        var expiresAt = (await _api.MineOk(offerer)).Single(o => o.GetProperty("id").GetString() == shortLived).GetProperty("expiresAt").GetInt64();
        gateway.Clock.Tick();
        await _api.AnswerOk(answerer, shortLived);
        Assert.Equal(expiresAt, (await _api.MineOk(offerer)).Single(o => o.GetProperty("id").GetString() == shortLived).GetProperty("expiresAt").GetInt64());
    }

    [Fact]
    public async Task Answers_list_the_answers_to_the_callers_offers()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var topicA = Api.Unique();
        var topicB = Api.Unique();
        var answered = (await _api.PublishOk(offerer, new { sdp = "v=0", topics = new[] { topicA, topicB } })).Single();
        await _api.PublishOneOk(offerer, topicA);

        var empty = Expect.Ok(await _api.Get("/offers/answers", offerer));
        Expect.Keys(empty, "answers");
        Assert.Empty(empty.GetProperty("answers").EnumerateArray());

        var answeredAt = await _api.AnswerOk(answerer, answered, sdp: "v=0 the answer");
        var answer = Expect.Ok(await _api.Get("/offers/answers", offerer)).GetProperty("answers").EnumerateArray().Single();
        Expect.Keys(answer, "offerId", "answererId", "sdp", "answeredAt", "topics");
        Assert.Equal(answered, answer.GetProperty("offerId").GetString());
        Assert.Equal(answerer.Id, answer.GetProperty("answererId").GetString());
        Assert.Equal("v=0 the answer", answer.GetProperty("sdp").GetString());
        Assert.Equal(answeredAt, answer.GetProperty("answeredAt").GetInt64());
        Assert.Equal([topicA, topicB], Expect.Strings(answer.GetProperty("topics")));

        // The answerer has no answers of its own.
        Assert.Empty(Expect.Ok(await _api.Get("/offers/answers", answerer)).GetProperty("answers").EnumerateArray());
    }

    [Fact]
    public async Task Heartbeat_by_owner_sets_lastSeen_and_returns_offerId_lastSeen()
    {
        var offerer = await _api.Register();
        var topic = Api.Unique();
        var id = await _api.PublishOneOk(offerer, topic);
        var created = (await _api.MineOk(offerer)).Single();
        gateway.Clock.Tick();
        var before = gateway.Clock.NowMs;
        var json = Expect.Ok(await _api.Put($"/offers/{id}/heartbeat", offerer));
        Expect.Keys(json, "offerId", "lastSeen");
        Assert.Equal(id, json.GetProperty("offerId").GetString());
        var lastSeen = json.GetProperty("lastSeen").GetInt64();
        Assert.InRange(lastSeen, before, gateway.Clock.NowMs);
        Assert.True(lastSeen > created.GetProperty("lastSeen").GetInt64());

        Assert.Equal(lastSeen, (await _api.MineOk(offerer)).Single().GetProperty("lastSeen").GetInt64());
        Assert.Equal(lastSeen, (await _api.DiscoverOk(topic)).GetProperty("offers")[0].GetProperty("lastSeen").GetInt64());
    }

    [Fact]
    public async Task Heartbeat_does_not_extend_expiry()
    {
        var offerer = await _api.Register();
        var id = await _api.PublishOneOk(offerer, Api.Unique());
        var expiresAt = (await _api.MineOk(offerer)).Single().GetProperty("expiresAt").GetInt64();
        gateway.Clock.Tick();
        Expect.Ok(await _api.Put($"/offers/{id}/heartbeat", offerer));
        Assert.Equal(expiresAt, (await _api.MineOk(offerer)).Single().GetProperty("expiresAt").GetInt64());
    }

    [Fact]
    public async Task Heartbeat_by_anyone_but_the_owner_or_on_unknown_offer_is_404()
    {
        var offerer = await _api.Register();
        var stranger = await _api.Register();
        var id = await _api.PublishOneOk(offerer, Api.Unique());
        Expect.Error(await _api.Put($"/offers/{id}/heartbeat", stranger), HttpStatusCode.NotFound);
        Expect.Error(await _api.Put($"/offers/{UnknownOffer}/heartbeat", offerer), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Delete_by_owner_returns_deleted_true()
    {
        var offerer = await _api.Register();
        var id = await _api.PublishOneOk(offerer, Api.Unique());
        var json = Expect.Ok(await _api.Delete($"/offers/{id}", offerer));
        Expect.Keys(json, "deleted");
        Assert.True(json.GetProperty("deleted").GetBoolean());
    }

    [Fact]
    public async Task Delete_by_non_owner_unknown_or_already_deleted_is_404_offer_not_found_or_not_authorized()
    {
        var offerer = await _api.Register();
        var stranger = await _api.Register();
        var topic = Api.Unique();
        var id = await _api.PublishOneOk(offerer, topic);
        Assert.Equal("Offer not found or not authorized", Expect.Error(await _api.Delete($"/offers/{id}", stranger), HttpStatusCode.NotFound));
        Assert.Equal("Offer not found or not authorized", Expect.Error(await _api.Delete($"/offers/{UnknownOffer}", offerer), HttpStatusCode.NotFound));
        // The stranger's attempt changed nothing.
        Assert.Equal(1, (await _api.DiscoverOk(topic)).GetProperty("total").GetInt32());

        Expect.Ok(await _api.Delete($"/offers/{id}", offerer));
        Assert.Equal("Offer not found or not authorized", Expect.Error(await _api.Delete($"/offers/{id}", offerer), HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task Deleted_offer_is_gone_from_every_listing_at_once_with_its_candidates()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var prefix = Api.Unique("del");
        var open = await _api.PublishOneOk(offerer, prefix + "open");
        var answered = await _api.PublishOneOk(offerer, prefix + "answered");
        await _api.AnswerOk(answerer, answered);
        Expect.Ok(await _api.PostCandidates(offerer, answered, "[{\"candidate\":\"a\"}]"));
        Expect.Ok(await _api.PostCandidates(answerer, answered, "[{\"candidate\":\"b\"}]"));

        Expect.Ok(await _api.Delete($"/offers/{open}", offerer));
        Expect.Ok(await _api.Delete($"/offers/{answered}", offerer));

        Assert.Equal(0, (await _api.DiscoverOk(prefix + "open")).GetProperty("total").GetInt32());
        Assert.Equal(0, Expect.Ok(await _api.Get("/topics?startsWith=" + Uri.EscapeDataString(prefix))).GetProperty("total").GetInt32());
        Assert.Empty(Expect.Ok(await _api.Get($"/peers/{offerer.Id}/offers")).GetProperty("offers").EnumerateArray());
        Assert.Empty(await _api.MineOk(offerer));
        Assert.Empty(Expect.Ok(await _api.Get("/offers/answers", offerer)).GetProperty("answers").EnumerateArray());
        Expect.Error(await _api.Answer(answerer, open), HttpStatusCode.NotFound);
        Expect.Error(await _api.Put($"/offers/{open}/heartbeat", offerer), HttpStatusCode.NotFound);
        Expect.Error(await _api.Get($"/offers/{answered}/ice-candidates", answerer), HttpStatusCode.NotFound);
        Expect.Error(await _api.Get($"/offers/{answered}/ice-candidates", offerer), HttpStatusCode.NotFound);
        Expect.Error(await _api.PostCandidates(answerer, answered, "[{\"candidate\":\"c\"}]"), HttpStatusCode.NotFound);
    }
}
