using System.Net;

namespace Rondevu.Tests.Http;

/// <summary>API.md "What the existing client sends": the request sequence of @xtr-dev/rondevu-client 0.7.x, end to end.</summary>
[Collection("gateway")]
public sealed class ClientFlowTests(GatewayFixture gateway)
{
    private readonly Api _api = gateway.Api;

    [Fact]
    public async Task Client_0_7_sequence_connects_two_peers()
    {
        var topic = Api.Unique("room");

        // Offerer: register with {}, publish {offers: [{sdp, topics, ttl: 300000}]}.
        var offerer = await _api.Register();
        var offerId = (await _api.PublishOk(offerer, new { sdp = "v=0 offer", topics = new[] { topic }, ttl = 300000 })).Single();
        Assert.Empty(Expect.Ok(await _api.Get("/offers/answers", offerer)).GetProperty("answers").EnumerateArray());

        // Answerer: register, discover without credentials, answer with {sdp}.
        var answerer = await _api.Register();
        var found = Expect.Ok(await _api.Get(Api.TopicPath(topic, "limit=10")));
        var offer = found.GetProperty("offers").EnumerateArray().Single();
        Assert.Equal(offerId, offer.GetProperty("id").GetString());
        Assert.Equal("v=0 offer", offer.GetProperty("sdp").GetString());
        await _api.AnswerOk(answerer, offerId, sdp: "v=0 answer");

        // Answerer fires its candidates concurrently, one per request, in the client's shape.
        var candidates = Enumerable.Range(0, 4).Select(i =>
            $"{{\"candidate\":\"candidate:{i} 1 udp 2122260223 10.0.0.{i} 5000{i} typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0,\"usernameFragment\":\"abcd\"}}").ToArray();
        var posted = await Task.WhenAll(candidates.Select(c => _api.PostCandidates(answerer, offerId, $"[{c}]")));
        Assert.All(posted, r => Assert.Equal(HttpStatusCode.OK, r.Status));

        // Offerer polls answers, then candidates with since=0 and then since=<last createdAt>.
        var answer = Expect.Ok(await _api.Get("/offers/answers", offerer)).GetProperty("answers").EnumerateArray().Single();
        Assert.Equal(offerId, answer.GetProperty("offerId").GetString());
        Assert.Equal("v=0 answer", answer.GetProperty("sdp").GetString());
        var received = await _api.CandidatesOk(offerer, offerId, since: "0");
        Assert.Equal(candidates.Order(StringComparer.Ordinal), received.Select(c => c.GetProperty("candidate").GetRawText()).Order(StringComparer.Ordinal));
        var last = received.Max(c => c.GetProperty("createdAt").GetInt64());
        Assert.Empty(await _api.CandidatesOk(offerer, offerId, since: last.ToString()));

        // The answerer reads nothing until the offerer trickles; the offerer need not trickle at all.
        Assert.Empty(await _api.CandidatesOk(answerer, offerId, since: "0"));
    }
}
