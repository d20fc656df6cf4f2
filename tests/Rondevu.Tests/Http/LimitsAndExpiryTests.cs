using System.Net;
using Rondevu.Grains;

namespace Rondevu.Tests.Http;

/// <summary>Rules that need non-default settings: the per-peer cap, a small ICE cap, expiry, a CORS allow-list, and
/// the OpenAPI document stating the limits in force.</summary>
[Collection("gateway-limits")]
public sealed class LimitsAndExpiryTests(LimitsGatewayFixture gateway)
{
    private readonly Api _api = gateway.Api;
    private ShiftableClock Clock => gateway.Clock;

    private static object Offer(string topic, long ttl = 600_000) => new { sdp = "v=0", topics = new[] { topic }, ttl };

    [Fact]
    public async Task The_OpenAPI_document_states_the_configured_limits()
    {
        var document = Expect.Ok(await _api.Get("/openapi/v1.json"));
        var offer = document.GetProperty("components").GetProperty("schemas").GetProperty("OfferInput").GetProperty("properties");

        Assert.Equal(LimitsGatewayFixture.MaxTopicsPerOffer, offer.GetProperty("topics").GetProperty("maxItems").GetInt32());
        Assert.Equal(new RondevuOptions().MaxSdpSize, offer.GetProperty("sdp").GetProperty("maxLength").GetInt32());
    }

    [Fact]
    public async Task More_than_MAX_OFFERS_PER_PEER_live_offers_is_429()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        await _api.PublishOk(peer, Offer(topic), Offer(topic));
        await _api.PublishOk(peer, Offer(topic));
        Expect.Error(await _api.Post("/offers", new { offers = new[] { Offer(topic) } }, peer), HttpStatusCode.TooManyRequests);
        Assert.Equal(3, (await _api.MineOk(peer)).Length);
        Assert.Equal(3, (await _api.DiscoverOk(topic)).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Batch_that_would_pass_MAX_OFFERS_PER_PEER_is_429_and_stores_nothing()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        await _api.PublishOk(peer, Offer(topic), Offer(topic));
        Expect.Error(await _api.Post("/offers", new { offers = new[] { Offer(topic), Offer(topic) } }, peer), HttpStatusCode.TooManyRequests);
        Assert.Equal(2, (await _api.MineOk(peer)).Length);
        Assert.Equal(2, (await _api.DiscoverOk(topic)).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Per_peer_cap_counts_only_live_offers()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        var ids = await _api.PublishOk(peer, Offer(topic), Offer(topic), Offer(topic));
        Expect.Error(await _api.Post("/offers", new { offers = new[] { Offer(topic) } }, peer), HttpStatusCode.TooManyRequests);

        Expect.Ok(await _api.Delete($"/offers/{ids[0]}", peer));
        await _api.PublishOk(peer, Offer(topic));
        Expect.Error(await _api.Post("/offers", new { offers = new[] { Offer(topic) } }, peer), HttpStatusCode.TooManyRequests);

        Clock.Advance(TimeSpan.FromMilliseconds(600_001));
        await _api.PublishOk(peer, Offer(topic), Offer(topic), Offer(topic));
    }

    [Fact]
    public async Task Concurrent_publishes_cannot_pass_the_per_peer_cap_together()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => _api.Post("/offers", new { offers = new[] { Offer(topic) } }, peer)));
        Assert.Equal(3, responses.Count(r => r.Status == HttpStatusCode.OK));
        Assert.All(responses.Where(r => r.Status != HttpStatusCode.OK), r => Expect.Error(r, HttpStatusCode.TooManyRequests));
        Assert.Equal(3, (await _api.MineOk(peer)).Length);
    }

    [Fact]
    public async Task Configured_MAX_ICE_CANDIDATES_PER_OFFER_applies_per_side()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var id = (await _api.PublishOk(offerer, Offer(Api.Unique()))).Single();
        await _api.AnswerOk(answerer, id);
        Expect.Ok(await _api.PostCandidates(answerer, id, "[1,2,3,4,5]"));
        Expect.Error(await _api.PostCandidates(answerer, id, "[6]"), HttpStatusCode.TooManyRequests);
        Expect.Ok(await _api.PostCandidates(offerer, id, "[1,2,3,4,5]"));
    }

    [Fact]
    public async Task Ttl_below_configured_OFFER_MIN_TTL_is_clamped_to_it()
    {
        var peer = await _api.Register();
        await _api.PublishOk(peer, Offer(Api.Unique(), ttl: 10));
        var mine = (await _api.MineOk(peer)).Single();
        Assert.Equal(LimitsGatewayFixture.MinTtl, mine.GetProperty("expiresAt").GetInt64() - mine.GetProperty("createdAt").GetInt64());
    }

    [Fact]
    public async Task Expired_offer_is_never_returned_by_any_endpoint_even_before_cleanup()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var prefix = Api.Unique("exp");
        var open = (await _api.PublishOk(offerer, Offer(prefix + "open", ttl: 60_000))).Single();
        var answered = (await _api.PublishOk(offerer, Offer(prefix + "answered", ttl: 60_000))).Single();
        await _api.AnswerOk(answerer, answered);
        Expect.Ok(await _api.PostCandidates(offerer, answered, "[{\"candidate\":\"o\"}]"));
        Expect.Ok(await _api.PostCandidates(answerer, answered, "[{\"candidate\":\"a\"}]"));

        // Live: visible everywhere.
        Assert.Equal(1, (await _api.DiscoverOk(prefix + "open")).GetProperty("total").GetInt32());
        Assert.Equal(2, Expect.Ok(await _api.Get($"/peers/{offerer.Id}/offers")).GetProperty("offers").GetArrayLength());
        Assert.Equal(2, (await _api.MineOk(offerer)).Length);
        Assert.Single(Expect.Ok(await _api.Get("/offers/answers", offerer)).GetProperty("answers").EnumerateArray());
        Assert.Single(await _api.CandidatesOk(offerer, answered));

        // Past expiresAt (reminders and timers run on real time: none has cleaned up yet).
        var expiresAt = (await _api.MineOk(offerer)).Max(o => o.GetProperty("expiresAt").GetInt64());
        Clock.AdvancePast(expiresAt);

        var discovered = await _api.DiscoverOk(prefix + "open");
        Assert.Empty(discovered.GetProperty("offers").EnumerateArray());
        Assert.Equal(0, discovered.GetProperty("total").GetInt32());
        Assert.Equal(0, discovered.GetProperty("returned").GetInt32());
        var peerOffers = Expect.Ok(await _api.Get($"/peers/{offerer.Id}/offers"));
        Assert.Empty(peerOffers.GetProperty("offers").EnumerateArray());
        Assert.Empty(peerOffers.GetProperty("topics").EnumerateArray());
        Assert.Empty(await _api.MineOk(offerer));
        Assert.Empty(Expect.Ok(await _api.Get("/offers/answers", offerer)).GetProperty("answers").EnumerateArray());
        Expect.Error(await _api.Put($"/offers/{open}/heartbeat", offerer), HttpStatusCode.NotFound);
        Expect.Error(await _api.Answer(answerer, open), HttpStatusCode.NotFound);
        Expect.Error(await _api.Get($"/offers/{answered}/ice-candidates", offerer), HttpStatusCode.NotFound);
        Expect.Error(await _api.Get($"/offers/{answered}/ice-candidates", answerer), HttpStatusCode.NotFound);
        Expect.Error(await _api.PostCandidates(answerer, answered, "[1]"), HttpStatusCode.NotFound);
        Expect.Error(await _api.Delete($"/offers/{open}", offerer), HttpStatusCode.NotFound);
    }

    /// <remarks>API.md: /topics lists "topics that have at least one live unanswered offer". The project's
    /// docs/API.md records a Decision that activePeers only drops when the expiry reminder runs; this test
    /// holds the shared contract and fails until the two agree.</remarks>
    [Fact]
    public async Task Topic_whose_offers_all_expired_is_not_listed_by_topics_even_before_cleanup()
    {
        var peer = await _api.Register();
        var prefix = Api.Unique("exptopic");
        await _api.PublishOk(peer, Offer(prefix + "gone", ttl: 60_000));
        await _api.PublishOk(peer, Offer(prefix + "stays", ttl: 600_000));
        Assert.Equal(2, Expect.Ok(await _api.Get("/topics?startsWith=" + prefix)).GetProperty("total").GetInt32());

        Clock.Advance(TimeSpan.FromMilliseconds(60_001));
        var json = Expect.Ok(await _api.Get("/topics?startsWith=" + prefix));
        Assert.Equal([prefix + "stays"], json.GetProperty("topics").EnumerateArray().Select(t => t.GetProperty("topic").GetString()));
        Assert.Equal(1, json.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Answered_offer_expires_ANSWERED_OFFER_TTL_after_the_answer()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var id = (await _api.PublishOk(offerer, Offer(Api.Unique(), ttl: 600_000))).Single();
        var answeredAt = await _api.AnswerOk(answerer, id);
        var offer = (await _api.MineOk(offerer)).Single();
        Assert.Equal(answeredAt + LimitsGatewayFixture.AnsweredTtl, offer.GetProperty("expiresAt").GetInt64());

        Clock.AdvancePast(answeredAt + LimitsGatewayFixture.AnsweredTtl);
        Assert.Empty(await _api.MineOk(offerer));
        Assert.Empty(Expect.Ok(await _api.Get("/offers/answers", offerer)).GetProperty("answers").EnumerateArray());
        Expect.Error(await _api.Get($"/offers/{id}/ice-candidates", answerer), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Preflight_from_a_listed_origin_gets_that_origin()
    {
        foreach (var origin in new[] { LimitsGatewayFixture.AllowedOrigin, LimitsGatewayFixture.OtherAllowedOrigin })
        {
            var response = await RoutingAndCorsTests.Preflight(_api, "/offers", origin, "POST");
            Assert.True(response.Status is HttpStatusCode.NoContent or HttpStatusCode.OK, response.ToString());
            Assert.Equal(origin, response.Header("Access-Control-Allow-Origin"));
            Assert.Equal("600", response.Header("Access-Control-Max-Age"));
        }
    }

    [Fact]
    public async Task Unlisted_origin_gets_no_allow_origin_header()
    {
        var preflight = await RoutingAndCorsTests.Preflight(_api, "/offers", "https://evil.example", "POST");
        Assert.Null(preflight.Header("Access-Control-Allow-Origin"));

        var get = await _api.Send(HttpMethod.Get, "/health", null, null, r => r.Headers.Add("Origin", "https://evil.example"));
        Expect.Ok(get);
        Assert.Null(get.Header("Access-Control-Allow-Origin"));

        var listed = await _api.Send(HttpMethod.Get, "/health", null, null, r => r.Headers.Add("Origin", LimitsGatewayFixture.AllowedOrigin));
        Assert.Equal(LimitsGatewayFixture.AllowedOrigin, listed.Header("Access-Control-Allow-Origin"));
    }
}
