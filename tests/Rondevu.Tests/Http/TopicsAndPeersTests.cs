using System.Net;
using System.Text.Json;

namespace Rondevu.Tests.Http;

/// <summary>API.md "GET /topics", "GET /peers/{peerId}/offers" and "GET /offers/mine".</summary>
[Collection("gateway")]
public sealed class TopicsAndPeersTests(GatewayFixture gateway)
{
    private readonly Api _api = gateway.Api;

    private async Task<JsonElement> TopicsOk(string query)
    {
        var json = Expect.Ok(await _api.Get("/topics?" + query));
        return json;
    }

    private static (string Topic, int ActivePeers)[] Summaries(JsonElement json) =>
        json.GetProperty("topics").EnumerateArray()
            .Select(t => (t.GetProperty("topic").GetString()!, t.GetProperty("activePeers").GetInt32())).ToArray();

    private static string StartsWith(string prefix) => "startsWith=" + Uri.EscapeDataString(prefix);

    [Fact]
    public async Task Topics_response_shape_with_defaults_and_no_startsWith_key_when_absent()
    {
        var json = Expect.Ok(await _api.Get("/topics"));
        Expect.Keys(json, "topics", "total", "limit", "offset");
        Assert.Equal(50, json.GetProperty("limit").GetInt32());
        Assert.Equal(0, json.GetProperty("offset").GetInt32());
        Assert.True(json.GetProperty("topics").GetArrayLength() <= 50);
        foreach (var topic in json.GetProperty("topics").EnumerateArray())
        {
            Expect.Keys(topic, "topic", "activePeers");
        }
    }

    [Fact]
    public async Task Topics_count_distinct_active_peers_and_sort_by_peers_desc_then_topic_ordinal()
    {
        var prefix = Api.Unique("topics") + "/";
        var peers = new[] { await _api.Register(), await _api.Register(), await _api.Register() };
        // "b": 3 peers (one with two offers); "a", "B", "c": 1 peer each.
        await _api.PublishOneOk(peers[0], prefix + "b");
        await _api.PublishOneOk(peers[0], prefix + "b");
        await _api.PublishOneOk(peers[1], prefix + "b");
        await _api.PublishOneOk(peers[2], prefix + "b");
        await _api.PublishOneOk(peers[1], prefix + "c");
        await _api.PublishOneOk(peers[2], prefix + "a");
        await _api.PublishOneOk(peers[0], prefix + "B");
        await _api.PublishOneOk(peers[0], prefix + "B");

        var json = await TopicsOk(StartsWith(prefix));
        Assert.Equal([(prefix + "b", 3), (prefix + "B", 1), (prefix + "a", 1), (prefix + "c", 1)], Summaries(json));
        Assert.Equal(4, json.GetProperty("total").GetInt32());
        Assert.Equal(prefix, json.GetProperty("startsWith").GetString());
    }

    [Fact]
    public async Task Topics_limit_and_offset_page_while_total_counts_all_matches()
    {
        var prefix = Api.Unique("page") + ":";
        var peer = await _api.Register();
        foreach (var name in new[] { "1", "2", "3", "4", "5" })
        {
            await _api.PublishOneOk(peer, prefix + name);
        }
        var json = await TopicsOk(StartsWith(prefix) + "&limit=2&offset=1");
        Assert.Equal([(prefix + "2", 1), (prefix + "3", 1)], Summaries(json));
        Assert.Equal(5, json.GetProperty("total").GetInt32());
        Assert.Equal(2, json.GetProperty("limit").GetInt32());
        Assert.Equal(1, json.GetProperty("offset").GetInt32());

        json = await TopicsOk(StartsWith(prefix) + "&offset=10");
        Assert.Empty(json.GetProperty("topics").EnumerateArray());
        Assert.Equal(5, json.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Topics_limit_is_capped_at_200()
    {
        var json = await TopicsOk("limit=5000");
        Assert.Equal(200, json.GetProperty("limit").GetInt32());
    }

    [Fact]
    public async Task Topics_startsWith_is_a_literal_case_sensitive_prefix_not_a_LIKE_pattern()
    {
        var prefix = Api.Unique("like");
        var peer = await _api.Register();
        await _api.PublishOneOk(peer, prefix + "%x");
        await _api.PublishOneOk(peer, prefix + "_y");
        await _api.PublishOneOk(peer, prefix + "ab");
        await _api.PublishOneOk(peer, prefix + "Ab");

        Assert.Equal([(prefix + "%x", 1)], Summaries(await TopicsOk(StartsWith(prefix + "%"))));
        Assert.Equal([(prefix + "_y", 1)], Summaries(await TopicsOk(StartsWith(prefix + "_"))));
        Assert.Equal([(prefix + "ab", 1)], Summaries(await TopicsOk(StartsWith(prefix + "a"))));
        Assert.Equal([(prefix + "Ab", 1)], Summaries(await TopicsOk(StartsWith(prefix + "A"))));
        Assert.Equal(4, (await TopicsOk(StartsWith(prefix))).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Topics_list_only_topics_with_live_unanswered_offers()
    {
        var prefix = Api.Unique("live");
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var answered = await _api.PublishOneOk(offerer, prefix + "answered");
        var deleted = await _api.PublishOneOk(offerer, prefix + "deleted");
        await _api.PublishOneOk(offerer, prefix + "open");
        Assert.Equal(3, (await TopicsOk(StartsWith(prefix))).GetProperty("total").GetInt32());

        await _api.AnswerOk(answerer, answered);
        Expect.Ok(await _api.Delete($"/offers/{deleted}", offerer));
        var json = await TopicsOk(StartsWith(prefix));
        Assert.Equal([(prefix + "open", 1)], Summaries(json));
        Assert.Equal(1, json.GetProperty("total").GetInt32());
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=abc")]
    [InlineData("limit=-3")]
    [InlineData("offset=-1")]
    [InlineData("offset=x")]
    [InlineData("offset=1.5")]
    public async Task Topics_bad_numbers_are_400(string query)
    {
        Expect.Error(await _api.Get("/topics?" + query), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Peer_offers_list_live_offers_without_peerId_or_secret_answered_included_newest_first()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var one = Api.Unique();
        var two = Api.Unique();
        var first = (await _api.PublishOk(offerer, new { sdp = "v=0 a", topics = new[] { one, two }, secret = "s3cret", info = "hi" })).Single();
        gateway.Clock.Tick();
        var second = await _api.PublishOneOk(offerer, one);
        await _api.AnswerOk(answerer, first, secret: "s3cret");

        var response = await _api.Get($"/peers/{offerer.Id}/offers");
        var json = Expect.Ok(response);
        Assert.DoesNotContain("s3cret", response.Text);
        Expect.Keys(json, "peerId", "offers", "topics");
        Assert.Equal(offerer.Id, json.GetProperty("peerId").GetString());
        Assert.Equal([second, first], Expect.Ids(json.GetProperty("offers")));
        var protectedOffer = json.GetProperty("offers")[1];
        Expect.Keys(protectedOffer, "id", "sdp", "topics", "expiresAt", "lastSeen", "hasSecret", "info");
        Assert.True(protectedOffer.GetProperty("hasSecret").GetBoolean());
        Expect.Keys(json.GetProperty("offers")[0], "id", "sdp", "topics", "expiresAt", "lastSeen", "hasSecret");
        Assert.Equal(new[] { one, two }.Order(StringComparer.Ordinal), Expect.Strings(json.GetProperty("topics")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Peer_offers_of_unknown_peer_is_200_and_empty()
    {
        foreach (var peerId in new[] { "0123456789abcdef0123456789abcdef", "not-a-peer-id" })
        {
            var json = Expect.Ok(await _api.Get($"/peers/{peerId}/offers"));
            Assert.Equal(peerId, json.GetProperty("peerId").GetString());
            Assert.Empty(json.GetProperty("offers").EnumerateArray());
            Assert.Empty(json.GetProperty("topics").EnumerateArray());
        }
    }

    [Fact]
    public async Task Mine_shows_own_offers_with_secret_and_answer_fields()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var topic = Api.Unique();
        var before = gateway.Clock.NowMs;
        var id = (await _api.PublishOk(offerer, new { sdp = "v=0 mine", topics = new[] { topic }, secret = "open sesame", info = "about" })).Single();

        var json = Expect.Ok(await _api.Get("/offers/mine", offerer));
        Expect.Keys(json, "peerId", "offers");
        Assert.Equal(offerer.Id, json.GetProperty("peerId").GetString());
        var offer = json.GetProperty("offers").EnumerateArray().Single();
        Expect.Keys(offer, "id", "sdp", "topics", "createdAt", "expiresAt", "lastSeen", "secret", "info");
        Assert.Equal(id, offer.GetProperty("id").GetString());
        Assert.Equal("open sesame", offer.GetProperty("secret").GetString());
        Assert.Equal("about", offer.GetProperty("info").GetString());
        Assert.InRange(offer.GetProperty("createdAt").GetInt64(), before, gateway.Clock.NowMs);
        Assert.Equal(offer.GetProperty("createdAt").GetInt64(), offer.GetProperty("lastSeen").GetInt64());

        var answeredAt = await _api.AnswerOk(answerer, id, secret: "open sesame");
        offer = (await _api.MineOk(offerer)).Single();
        Expect.Keys(offer, "id", "sdp", "topics", "createdAt", "expiresAt", "lastSeen", "secret", "info", "answererPeerId", "answeredAt");
        Assert.Equal(answerer.Id, offer.GetProperty("answererPeerId").GetString());
        Assert.Equal(answeredAt, offer.GetProperty("answeredAt").GetInt64());
    }

    [Fact]
    public async Task Mine_lists_only_the_callers_offers()
    {
        var alice = await _api.Register();
        var bob = await _api.Register();
        var topic = Api.Unique();
        var fromAlice = await _api.PublishOneOk(alice, topic);
        await _api.PublishOneOk(bob, topic);
        Assert.Equal([fromAlice], (await _api.MineOk(alice)).Select(o => o.GetProperty("id").GetString()!).ToArray());
    }
}
