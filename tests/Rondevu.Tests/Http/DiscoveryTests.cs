using System.Net;

namespace Rondevu.Tests.Http;

/// <summary>API.md "Discovery: GET /offers/by-topic/{topic}" and the topic encoding convention.</summary>
[Collection("gateway")]
public sealed class DiscoveryTests(GatewayFixture gateway)
{
    private readonly Api _api = gateway.Api;

    private async Task<string[]> PublishMany(Peer peer, string topic, int count)
    {
        var ids = new List<string>();
        for (var done = 0; done < count; done += 100)
        {
            var batch = Enumerable.Range(0, Math.Min(100, count - done)).Select(_ => (object)new { sdp = "v=0", topics = new[] { topic } }).ToArray();
            ids.AddRange(await _api.PublishOk(peer, batch));
        }
        return ids.ToArray();
    }

    [Fact]
    public async Task Discovery_returns_topic_offers_total_returned_with_public_offer_shape()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        var id = await _api.PublishOneOk(peer, topic);
        var json = await _api.DiscoverOk(topic);
        Expect.Keys(json, "topic", "offers", "total", "returned");
        Assert.Equal(topic, json.GetProperty("topic").GetString());
        Assert.Equal(1, json.GetProperty("total").GetInt32());
        Assert.Equal(1, json.GetProperty("returned").GetInt32());
        var offer = json.GetProperty("offers").EnumerateArray().Single();
        Expect.Keys(offer, "id", "peerId", "sdp", "topics", "expiresAt", "lastSeen", "hasSecret");
        Assert.Equal(id, offer.GetProperty("id").GetString());
        Assert.Equal(peer.Id, offer.GetProperty("peerId").GetString());
        Assert.Equal("v=0 offer", offer.GetProperty("sdp").GetString());
        Assert.Equal([topic], Expect.Strings(offer.GetProperty("topics")));
        Assert.False(offer.GetProperty("hasSecret").GetBoolean());
    }

    [Fact]
    public async Task Protected_offer_is_listed_with_hasSecret_and_info_but_never_its_secret()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        await _api.PublishOk(peer, new { sdp = "v=0", topics = new[] { topic }, secret = "hunter2", info = "room 7" });
        var offer = (await _api.DiscoverOk(topic)).GetProperty("offers")[0];
        Expect.Keys(offer, "id", "peerId", "sdp", "topics", "expiresAt", "lastSeen", "hasSecret", "info");
        Assert.True(offer.GetProperty("hasSecret").GetBoolean());
        Assert.Equal("room 7", offer.GetProperty("info").GetString());
        Assert.DoesNotContain("hunter2", (await _api.Get(Api.TopicPath(topic))).Text);
    }

    [Fact]
    public async Task Unknown_topic_is_200_with_empty_list_and_total_0()
    {
        var topic = Api.Unique();
        var json = await _api.DiscoverOk(topic);
        Assert.Equal(topic, json.GetProperty("topic").GetString());
        Assert.Empty(json.GetProperty("offers").EnumerateArray());
        Assert.Equal(0, json.GetProperty("total").GetInt32());
        Assert.Equal(0, json.GetProperty("returned").GetInt32());
    }

    [Fact]
    public async Task Offers_are_listed_newest_lastSeen_first()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        var a = await _api.PublishOneOk(peer, topic);
        gateway.Clock.Tick();
        var b = await _api.PublishOneOk(peer, topic);
        gateway.Clock.Tick();
        var c = await _api.PublishOneOk(peer, topic);
        Assert.Equal([c, b, a], Expect.Ids((await _api.DiscoverOk(topic)).GetProperty("offers")));

        gateway.Clock.Tick();
        Expect.Ok(await _api.Put($"/offers/{a}/heartbeat", peer));
        var offers = (await _api.DiscoverOk(topic)).GetProperty("offers");
        Assert.Equal([a, c, b], Expect.Ids(offers));
        var lastSeen = offers.EnumerateArray().Select(o => o.GetProperty("lastSeen").GetInt64()).ToArray();
        Assert.Equal(lastSeen.OrderDescending(), lastSeen);
    }

    [Fact]
    public async Task Answered_offer_is_not_listed_and_not_counted()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var topic = Api.Unique();
        var answered = await _api.PublishOneOk(offerer, topic);
        var open = await _api.PublishOneOk(offerer, topic);
        await _api.AnswerOk(answerer, answered);
        var json = await _api.DiscoverOk(topic);
        Assert.Equal([open], Expect.Ids(json.GetProperty("offers")));
        Assert.Equal(1, json.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Limit_defaults_to_50()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        await PublishMany(peer, topic, 55);
        var json = await _api.DiscoverOk(topic);
        Assert.Equal(50, json.GetProperty("offers").GetArrayLength());
        Assert.Equal(50, json.GetProperty("returned").GetInt32());
        Assert.Equal(55, json.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Limit_is_capped_at_200()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        await PublishMany(peer, topic, 205);
        foreach (var limit in new[] { "201", "1000", "99999999999999999999" })
        {
            var json = await _api.DiscoverOk(topic, "limit=" + limit);
            Assert.Equal(200, json.GetProperty("returned").GetInt32());
            Assert.Equal(200, json.GetProperty("offers").GetArrayLength());
            Assert.Equal(205, json.GetProperty("total").GetInt32());
        }
        Assert.Equal(7, (await _api.DiscoverOk(topic, "limit=7")).GetProperty("returned").GetInt32());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("x")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("")]
    public async Task Limit_not_a_positive_integer_is_400(string limit)
    {
        Expect.Error(await _api.Get(Api.TopicPath(Api.Unique(), "limit=" + limit)), HttpStatusCode.BadRequest, "limit");
    }

    [Fact]
    public async Task Bloom_filter_leaves_out_offers_whose_peer_tests_positive()
    {
        var alice = await _api.Register();
        var bob = await _api.Register();
        var carol = await _api.Register();
        var topic = Api.Unique();
        await _api.PublishOneOk(alice, topic);
        await _api.PublishOneOk(bob, topic);
        var fromCarol = await _api.PublishOneOk(carol, topic);
        var filter = TestBloom.Create(128, alice.Id, bob.Id);
        Assert.False(TestBloom.Test(filter, carol.Id), "improbable false positive; rerun");

        var json = await _api.DiscoverOk(topic, TestBloom.Query(filter));
        Assert.Equal([fromCarol], Expect.Ids(json.GetProperty("offers")));
        Assert.Equal(3, json.GetProperty("total").GetInt32());
        Assert.Equal(1, json.GetProperty("returned").GetInt32());
    }

    [Fact]
    public async Task Bloom_filter_from_vectors_json_excludes_the_vector_peer()
    {
        // vectors.json: the 128-byte filter holds f17c195f… (whose credential is vector 2, valid for this gateway's key).
        var vectors = WireVectors.Load();
        var credential = vectors.Credentials[1];
        Assert.Equal(GatewayFixture.AuthSecret, credential.AuthSecret);
        var vectorPeer = new Peer(credential.PeerId, credential.Secret);
        var bloom = vectors.Blooms.Single(b => b.Bytes == 128);
        Assert.Contains(vectorPeer.Id, bloom.Added);

        var other = await _api.Register();
        var topic = Api.Unique();
        await _api.PublishOneOk(vectorPeer, topic);
        var fromOther = await _api.PublishOneOk(other, topic);
        Assert.False(TestBloom.Test(Convert.FromBase64String(bloom.Base64), other.Id), "improbable false positive; rerun");

        var json = await _api.DiscoverOk(topic, "bloom=" + Uri.EscapeDataString(bloom.Base64));
        Assert.Equal([fromOther], Expect.Ids(json.GetProperty("offers")));
        Assert.Equal(2, json.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task All_zero_bloom_filter_excludes_nothing()
    {
        var alice = await _api.Register();
        var bob = await _api.Register();
        var topic = Api.Unique();
        await _api.PublishOneOk(alice, topic);
        await _api.PublishOneOk(bob, topic);
        foreach (var size in new[] { 1, 128, 4096 })
        {
            var json = await _api.DiscoverOk(topic, TestBloom.Query(new byte[size]));
            Assert.Equal(2, json.GetProperty("returned").GetInt32());
        }
    }

    [Theory]
    [InlineData("!!!not-base64!!!")]
    [InlineData("abc")]
    [InlineData("====")]
    public async Task Bloom_that_is_not_base64_is_400(string bloom)
    {
        Expect.Error(await _api.Get(Api.TopicPath(Api.Unique(), "bloom=" + Uri.EscapeDataString(bloom))), HttpStatusCode.BadRequest, "bloom");
    }

    [Fact]
    public async Task Empty_bloom_filter_is_400()
    {
        Expect.Error(await _api.Get(Api.TopicPath(Api.Unique(), "bloom=")), HttpStatusCode.BadRequest, "bloom");
    }

    [Fact]
    public async Task Bloom_filter_over_4096_bytes_is_400()
    {
        Expect.Error(await _api.Get(Api.TopicPath(Api.Unique(), TestBloom.Query(new byte[4097]))), HttpStatusCode.BadRequest, "bloom");
        Expect.Ok(await _api.Get(Api.TopicPath(Api.Unique(), TestBloom.Query(new byte[4096]))));
    }

    [Fact]
    public async Task Total_counts_before_bloom_and_limit_and_returned_counts_the_response()
    {
        var peers = new[] { await _api.Register(), await _api.Register(), await _api.Register(), await _api.Register() };
        var topic = Api.Unique();
        foreach (var peer in peers)
        {
            await _api.PublishOneOk(peer, topic);
        }
        var filter = TestBloom.Create(128, peers[^1].Id);
        var json = await _api.DiscoverOk(topic, TestBloom.Query(filter) + "&limit=2");
        Assert.Equal(4, json.GetProperty("total").GetInt32());
        Assert.Equal(2, json.GetProperty("returned").GetInt32());
        Assert.Equal(2, json.GetProperty("offers").GetArrayLength());
        Assert.DoesNotContain(peers[^1].Id, json.GetProperty("offers").EnumerateArray().Select(o => o.GetProperty("peerId").GetString()));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("a/b/c")]
    [InlineData("100%")]
    [InlineData("%2F")]
    [InlineData("%25")]
    [InlineData("with space")]
    [InlineData("plus+sign")]
    [InlineData("q?x=1#frag")]
    [InlineData("日本語 🎉 ünï")]
    [InlineData("..")]
    public async Task Topic_with_reserved_or_unicode_chars_round_trips_via_encodeURIComponent(string suffix)
    {
        var peer = await _api.Register();
        var topic = Api.Unique() + suffix;
        var id = await _api.PublishOneOk(peer, topic);
        var json = await _api.DiscoverOk(topic);
        Assert.Equal(topic, json.GetProperty("topic").GetString());
        Assert.Equal([id], Expect.Ids(json.GetProperty("offers")));
        Assert.Equal([topic], Expect.Strings(json.GetProperty("offers")[0].GetProperty("topics")));

        var topics = Expect.Ok(await _api.Get("/topics?startsWith=" + Uri.EscapeDataString(topic)));
        Assert.Equal(topic, topics.GetProperty("topics")[0].GetProperty("topic").GetString());
    }

    [Fact]
    public async Task Topic_a_slash_b_is_looked_up_at_a_percent_2F_b()
    {
        var peer = await _api.Register();
        var id = await _api.PublishOneOk(peer, "a/b");
        var response = await _api.Get("/offers/by-topic/a%2Fb");
        var json = Expect.Ok(response);
        Assert.Equal("a/b", json.GetProperty("topic").GetString());
        Assert.Contains(id, Expect.Ids(json.GetProperty("offers")));
    }

    [Fact]
    public async Task Literal_percent_topics_are_not_decoded_twice()
    {
        var peer = await _api.Register();
        var prefix = Api.Unique();
        var percent = await _api.PublishOneOk(peer, prefix + "100%");
        var literal2F = await _api.PublishOneOk(peer, prefix + "%2F");
        var slash = await _api.PublishOneOk(peer, prefix + "/");

        Assert.Equal([percent], Expect.Ids((await _api.DiscoverOk(prefix + "100%")).GetProperty("offers")));
        // "%2F" is sent as %252F and must not be confused with "/" (sent as %2F).
        var json = Expect.Ok(await _api.Get($"/offers/by-topic/{prefix}%252F"));
        Assert.Equal(prefix + "%2F", json.GetProperty("topic").GetString());
        Assert.Equal([literal2F], Expect.Ids(json.GetProperty("offers")));
        json = Expect.Ok(await _api.Get($"/offers/by-topic/{prefix}%2F"));
        Assert.Equal(prefix + "/", json.GetProperty("topic").GetString());
        Assert.Equal([slash], Expect.Ids(json.GetProperty("offers")));
    }

    [Fact]
    public async Task Offer_with_several_topics_is_found_under_each()
    {
        var peer = await _api.Register();
        var one = Api.Unique();
        var two = Api.Unique();
        var id = (await _api.PublishOk(peer, new { sdp = "v=0", topics = new[] { one, two } })).Single();
        foreach (var topic in new[] { one, two })
        {
            var offer = (await _api.DiscoverOk(topic)).GetProperty("offers").EnumerateArray().Single();
            Assert.Equal(id, offer.GetProperty("id").GetString());
            Assert.Equal([one, two], Expect.Strings(offer.GetProperty("topics")));
        }
    }

    [Fact]
    public async Task Discovery_needs_no_authentication_and_ignores_credentials()
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        await _api.PublishOneOk(peer, topic);
        var json = Expect.Ok(await _api.Get(Api.TopicPath(topic), peer));
        Assert.Equal(1, json.GetProperty("returned").GetInt32());
    }
}
