using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rondevu.Tests.Http;

/// <summary>API.md "POST /offers": every validation rule, TTL resolution, ids, and all-or-nothing.</summary>
[Collection("gateway")]
public sealed class PublishTests(GatewayFixture gateway)
{
    private readonly Api _api = gateway.Api;

    private static JsonObject Offer(string? topic = null) =>
        new() { ["sdp"] = "v=0 offer", ["topics"] = new JsonArray(topic ?? Api.Unique()) };

    private async Task<ApiResponse> PublishRaw(Peer peer, string json) => await _api.Post("/offers", json, peer);

    private async Task<ApiResponse> Publish(Peer peer, params JsonObject[] offers) =>
        await PublishRaw(peer, new JsonObject { ["offers"] = new JsonArray(offers.Cast<JsonNode?>().ToArray()) }.ToJsonString());

    private static JsonObject With(JsonObject offer, string key, JsonNode? value)
    {
        offer[key] = value;
        return offer;
    }

    /// <summary>A rejected request stored nothing: the peer still holds no offer, the topic is still empty.</summary>
    private async Task AssertNothingStored(Peer peer, string topic)
    {
        Assert.Empty(await _api.MineOk(peer));
        var discovered = await _api.DiscoverOk(topic);
        Assert.Equal(0, discovered.GetProperty("total").GetInt32());
    }

    private async Task AssertRejected(JsonObject badOffer, string? messageContains = null)
    {
        var peer = await _api.Register();
        Expect.Error(await Publish(peer, badOffer), HttpStatusCode.BadRequest, messageContains);
        Assert.Empty(await _api.MineOk(peer));
    }

    private async Task<JsonElement> AssertAccepted(JsonObject offer)
    {
        var peer = await _api.Register();
        Expect.Ok(await Publish(peer, offer));
        return (await _api.MineOk(peer)).Single();
    }

    [Fact]
    public async Task Publish_returns_id_peerId_topics_expiresAt_per_offer()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        var before = gateway.Clock.NowMs;
        var json = Expect.Ok(await Publish(peer, Offer(topic), Offer(topic)));
        var after = gateway.Clock.NowMs;
        Expect.Keys(json, "offers");
        var offers = json.GetProperty("offers").EnumerateArray().ToArray();
        Assert.Equal(2, offers.Length);
        foreach (var offer in offers)
        {
            Expect.Keys(offer, "id", "peerId", "topics", "expiresAt");
            Expect.HexId(offer.GetProperty("id").GetString());
            Assert.Equal(peer.Id, offer.GetProperty("peerId").GetString());
            Assert.Equal([topic], Expect.Strings(offer.GetProperty("topics")));
            Assert.InRange(offer.GetProperty("expiresAt").GetInt64(), before + GatewayFixture.DefaultTtl, after + GatewayFixture.DefaultTtl);
        }
        Assert.NotEqual(offers[0].GetProperty("id").GetString(), offers[1].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Offer_ids_are_generated_and_a_client_sent_id_is_ignored()
    {
        var peer = await _api.Register();
        const string chosen = "0123456789abcdef0123456789abcdef";
        var json = Expect.Ok(await Publish(peer, With(Offer(), "id", chosen)));
        var id = json.GetProperty("offers")[0].GetProperty("id").GetString();
        Expect.HexId(id);
        Assert.NotEqual(chosen, id);
        Assert.Equal([id!], (await _api.MineOk(peer)).Select(o => o.GetProperty("id").GetString()!).ToArray());
    }

    [Fact]
    public async Task Identical_offers_get_distinct_ids()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        var first = await _api.PublishOneOk(peer, topic, sdp: "same sdp");
        var second = await _api.PublishOneOk(peer, topic, sdp: "same sdp");
        Assert.NotEqual(first, second);
        Assert.Equal(2, (await _api.DiscoverOk(topic)).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Malformed_json_is_400()
    {
        var peer = await _api.Register();
        Expect.Error(await PublishRaw(peer, "{\"offers\": [{\"sdp\": \"x\","), HttpStatusCode.BadRequest, "JSON");
        Expect.Error(await PublishRaw(peer, "not json at all"), HttpStatusCode.BadRequest, "JSON");
    }

    [Fact]
    public async Task Empty_body_is_400()
    {
        var peer = await _api.Register();
        Expect.Error(await _api.Send(HttpMethod.Post, "/offers", null, peer.Header), HttpStatusCode.BadRequest);
        Expect.Error(await PublishRaw(peer, ""), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Json_array_body_is_400()
    {
        var peer = await _api.Register();
        Expect.Error(await PublishRaw(peer, "[{\"sdp\":\"x\",\"topics\":[\"t\"]}]"), HttpStatusCode.BadRequest);
        Expect.Error(await PublishRaw(peer, "\"offers\""), HttpStatusCode.BadRequest);
        Expect.Error(await PublishRaw(peer, "null"), HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"offers\": null}")]
    [InlineData("{\"offers\": {}}")]
    [InlineData("{\"offers\": \"x\"}")]
    [InlineData("{\"offers\": []}")]
    public async Task Offers_missing_not_an_array_or_empty_is_400(string body)
    {
        var peer = await _api.Register();
        Expect.Error(await PublishRaw(peer, body), HttpStatusCode.BadRequest, "offers");
    }

    [Fact]
    public async Task Offer_that_is_not_an_object_is_400()
    {
        var peer = await _api.Register();
        Expect.Error(await PublishRaw(peer, "{\"offers\": [\"v=0\"]}"), HttpStatusCode.BadRequest);
        Assert.Empty(await _api.MineOk(peer));
    }

    [Fact]
    public async Task More_than_MAX_OFFERS_PER_REQUEST_offers_is_400_and_stores_nothing()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        Expect.Error(await Publish(peer, Enumerable.Range(0, 101).Select(_ => Offer(topic)).ToArray()), HttpStatusCode.BadRequest);
        await AssertNothingStored(peer, topic);
    }

    [Fact]
    public async Task Exactly_MAX_OFFERS_PER_REQUEST_offers_is_accepted()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        var json = Expect.Ok(await Publish(peer, Enumerable.Range(0, 100).Select(_ => Offer(topic)).ToArray()));
        Assert.Equal(100, json.GetProperty("offers").GetArrayLength());
        Assert.Equal(100, Expect.Ids(json.GetProperty("offers")).Distinct().Count());
    }

    [Fact]
    public async Task Sdp_missing_is_400()
    {
        var offer = Offer();
        offer.Remove("sdp");
        await AssertRejected(offer, "sdp");
    }

    [Fact]
    public async Task Sdp_empty_is_400() => await AssertRejected(With(Offer(), "sdp", ""), "sdp");

    [Fact]
    public async Task Sdp_null_is_400() => await AssertRejected(With(Offer(), "sdp", null), "sdp");

    [Fact]
    public async Task Sdp_not_a_string_is_400()
    {
        await AssertRejected(With(Offer(), "sdp", 42), "sdp");
        await AssertRejected(With(Offer(), "sdp", new JsonObject { ["type"] = "offer" }), "sdp");
    }

    [Fact]
    public async Task Sdp_longer_than_MAX_SDP_SIZE_chars_is_400() =>
        await AssertRejected(With(Offer(), "sdp", new string('s', 65_537)), "sdp");

    [Fact]
    public async Task Sdp_of_exactly_MAX_SDP_SIZE_chars_counted_in_utf16_units_is_accepted()
    {
        var peer = await _api.Register();
        // 32768 surrogate pairs: 65536 UTF-16 code units (131072 UTF-8 bytes) — within the limit.
        var sdp = string.Concat(Enumerable.Repeat("😀", 32_768));
        Expect.Ok(await Publish(peer, With(Offer(), "sdp", sdp)));
        Assert.Equal(sdp, (await _api.MineOk(peer)).Single().GetProperty("sdp").GetString());
        await AssertRejected(With(Offer(), "sdp", sdp + "x"), "sdp");
    }

    [Fact]
    public async Task Topics_missing_is_400()
    {
        var offer = Offer();
        offer.Remove("topics");
        await AssertRejected(offer, "topics");
    }

    [Fact]
    public async Task Topics_empty_is_400() => await AssertRejected(With(Offer(), "topics", new JsonArray()), "topics");

    [Fact]
    public async Task Topics_not_an_array_is_400()
    {
        await AssertRejected(With(Offer(), "topics", "chat"), "topics");
        await AssertRejected(With(Offer(), "topics", null), "topics");
    }

    [Fact]
    public async Task Topic_not_a_string_is_400()
    {
        await AssertRejected(With(Offer(), "topics", new JsonArray("ok", 5)), "topic");
        await AssertRejected(With(Offer(), "topics", new JsonArray((JsonNode?)null)), "topic");
    }

    [Fact]
    public async Task Topic_empty_is_400() => await AssertRejected(With(Offer(), "topics", new JsonArray("")), "topic");

    [Fact]
    public async Task Topic_longer_than_256_chars_is_400()
    {
        await AssertRejected(With(Offer(), "topics", new JsonArray(new string('t', 257))), "topic");
        var peer = await _api.Register();
        var longest = new string('t', 255) + Guid.NewGuid().ToString("N")[..1];
        Expect.Ok(await Publish(peer, With(Offer(), "topics", new JsonArray(longest))));
    }

    [Fact]
    public async Task More_than_MAX_TOPICS_PER_OFFER_distinct_topics_is_400() =>
        await AssertRejected(With(Offer(), "topics", new JsonArray(Enumerable.Range(0, 51).Select(i => (JsonNode?)$"t{i}").ToArray())), "topics");

    [Fact]
    public async Task Duplicate_topics_within_one_offer_count_once()
    {
        var peer = await _api.Register();
        var prefix = Api.Unique();
        // 50 distinct topics plus 10 repeats: within MAX_TOPICS_PER_OFFER (50) once duplicates count once.
        var topics = Enumerable.Range(0, 50).Concat(Enumerable.Range(0, 10)).Select(i => (JsonNode?)$"{prefix}-{i}").ToArray();
        var json = Expect.Ok(await Publish(peer, With(Offer(), "topics", new JsonArray(topics))));
        var stored = Expect.Strings(json.GetProperty("offers")[0].GetProperty("topics"));
        Assert.Equal(50, stored.Length);
        Assert.Equal(50, stored.Distinct().Count());

        var discovered = await _api.DiscoverOk($"{prefix}-0");
        Assert.Equal(1, discovered.GetProperty("total").GetInt32());
        Assert.Single(discovered.GetProperty("offers").EnumerateArray());
    }

    private async Task<long> StoredTtl(JsonObject offer)
    {
        var mine = await AssertAccepted(offer);
        return mine.GetProperty("expiresAt").GetInt64() - mine.GetProperty("createdAt").GetInt64();
    }

    [Fact]
    public async Task Ttl_absent_is_OFFER_DEFAULT_TTL() => Assert.Equal(GatewayFixture.DefaultTtl, await StoredTtl(Offer()));

    [Fact]
    public async Task Ttl_null_is_OFFER_DEFAULT_TTL() => Assert.Equal(GatewayFixture.DefaultTtl, await StoredTtl(With(Offer(), "ttl", null)));

    [Fact]
    public async Task Ttl_zero_is_OFFER_DEFAULT_TTL() => Assert.Equal(GatewayFixture.DefaultTtl, await StoredTtl(With(Offer(), "ttl", 0)));

    [Fact]
    public async Task Ttl_within_range_is_kept() => Assert.Equal(300_000, await StoredTtl(With(Offer(), "ttl", 300_000)));

    [Fact]
    public async Task Ttl_below_OFFER_MIN_TTL_is_clamped_up()
    {
        Assert.Equal(GatewayFixture.MinTtl, await StoredTtl(With(Offer(), "ttl", 1)));
        Assert.Equal(GatewayFixture.MinTtl, await StoredTtl(With(Offer(), "ttl", -5000)));
    }

    [Fact]
    public async Task Ttl_above_OFFER_MAX_TTL_is_clamped_down()
    {
        Assert.Equal(GatewayFixture.MaxTtl, await StoredTtl(With(Offer(), "ttl", GatewayFixture.MaxTtl + 1)));
        Assert.Equal(GatewayFixture.MaxTtl, await StoredTtl(With(Offer(), "ttl", 1e300)));
    }

    [Fact]
    public async Task Ttl_not_a_number_is_400()
    {
        await AssertRejected(With(Offer(), "ttl", "300000"), "ttl");
        await AssertRejected(With(Offer(), "ttl", true), "ttl");
        await AssertRejected(With(Offer(), "ttl", new JsonArray(1)), "ttl");
    }

    [Fact]
    public async Task Secret_and_info_null_mean_absent()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        Expect.Ok(await Publish(peer, With(With(Offer(topic), "secret", null), "info", null)));
        var mine = (await _api.MineOk(peer)).Single();
        Expect.Keys(mine, "id", "sdp", "topics", "createdAt", "expiresAt", "lastSeen");
        var listed = (await _api.DiscoverOk(topic)).GetProperty("offers")[0];
        Expect.Keys(listed, "id", "peerId", "sdp", "topics", "expiresAt", "lastSeen", "hasSecret");
        Assert.False(listed.GetProperty("hasSecret").GetBoolean());
    }

    [Fact]
    public async Task Secret_not_a_string_is_400()
    {
        await AssertRejected(With(Offer(), "secret", 1234), "secret");
        await AssertRejected(With(Offer(), "secret", new JsonObject()), "secret");
    }

    [Fact]
    public async Task Info_not_a_string_is_400()
    {
        await AssertRejected(With(Offer(), "info", 1234), "info");
        await AssertRejected(With(Offer(), "info", false), "info");
    }

    [Fact]
    public async Task Secret_longer_than_128_chars_is_400()
    {
        await AssertRejected(With(Offer(), "secret", new string('s', 129)), "secret");
        Assert.Equal(new string('s', 128), (await AssertAccepted(With(Offer(), "secret", new string('s', 128)))).GetProperty("secret").GetString());
    }

    [Fact]
    public async Task Info_longer_than_128_chars_is_400()
    {
        await AssertRejected(With(Offer(), "info", new string('i', 129)), "info");
        Assert.Equal(new string('i', 128), (await AssertAccepted(With(Offer(), "info", new string('i', 128)))).GetProperty("info").GetString());
    }

    [Fact]
    public async Task One_invalid_offer_rejects_the_whole_request_and_stores_nothing()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        var bad = With(Offer(topic), "ttl", "soon");
        Expect.Error(await Publish(peer, Offer(topic), Offer(topic), bad, Offer(topic)), HttpStatusCode.BadRequest);
        await AssertNothingStored(peer, topic);
        var topics = Expect.Ok(await _api.Get("/topics?startsWith=" + Uri.EscapeDataString(topic)));
        Assert.Equal(0, topics.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Extra_fields_in_an_offer_are_ignored()
    {
        var peer = await _api.Register();
        var json = Expect.Ok(await Publish(peer, With(Offer(), "unexpected", new JsonObject { ["x"] = 1 })));
        Assert.Single(json.GetProperty("offers").EnumerateArray());
    }

    [Fact]
    public async Task Published_offer_keeps_sdp_info_and_secret_exactly()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        const string sdp = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ünïcødé 🎉\r\n";
        var offer = With(With(Offer(topic), "secret", "pa\"ss wörd"), "info", "{\"name\":\"x\"}");
        offer["sdp"] = sdp;
        Expect.Ok(await Publish(peer, offer));
        var mine = (await _api.MineOk(peer)).Single();
        Assert.Equal(sdp, mine.GetProperty("sdp").GetString());
        Assert.Equal("pa\"ss wörd", mine.GetProperty("secret").GetString());
        Assert.Equal("{\"name\":\"x\"}", mine.GetProperty("info").GetString());
        var listed = (await _api.DiscoverOk(topic)).GetProperty("offers")[0];
        Assert.Equal(sdp, listed.GetProperty("sdp").GetString());
        Assert.Equal("{\"name\":\"x\"}", listed.GetProperty("info").GetString());
        Assert.True(listed.GetProperty("hasSecret").GetBoolean());
        Assert.False(listed.TryGetProperty("secret", out _));
    }

    [Fact]
    public async Task Body_sent_with_the_clients_exact_shape_is_accepted()
    {
        // What @xtr-dev/rondevu-client 0.7.x sends: {offers: [{sdp, topics, ttl}]} with ttl 300000.
        var peer = await _api.Register();
        var topic = Api.Unique();
        var json = Expect.Ok(await PublishRaw(peer, JsonSerializer.Serialize(new { offers = new[] { new { sdp = "v=0", topics = new[] { topic }, ttl = 300000 } } })));
        Assert.Single(json.GetProperty("offers").EnumerateArray());
    }
}
