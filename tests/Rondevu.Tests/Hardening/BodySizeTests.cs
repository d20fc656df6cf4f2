using System.Net;
using System.Text;
using Rondevu.Tests.Http;

namespace Rondevu.Tests.Hardening;

/// <summary>MAX_BODY_SIZE=2048: a larger body is 413 <c>{"error"}</c>, whether it announces its length or
/// is chunked, and nothing of it is stored.</summary>
[Collection("hardening-proxy")]
public sealed class BodySizeTests(ProxyGatewayFixture gateway)
{
    private readonly Api _api = gateway.Api;

    private static string OfferBody(string topic, int sdpLength) =>
        $"{{\"offers\":[{{\"sdp\":\"{new string('s', sdpLength)}\",\"topics\":[\"{topic}\"]}}]}}";

    [Fact]
    public async Task A_publish_over_MAX_BODY_SIZE_is_413_and_stores_nothing()
    {
        var peer = gateway.IssuePeer();
        var topic = Api.Unique("big");
        var body = OfferBody(topic, ProxyGatewayFixture.MaxBodySize);
        Assert.True(Encoding.UTF8.GetByteCount(body) > ProxyGatewayFixture.MaxBodySize);

        Expect.Error(await _api.Post("/offers", body, peer), HttpStatusCode.RequestEntityTooLarge);

        Assert.Empty(await _api.MineOk(peer));
        Assert.Equal(0, (await _api.DiscoverOk(topic)).GetProperty("total").GetInt32());
        Assert.Empty(Expect.Ok(await _api.Get($"/peers/{peer.Id}/offers")).GetProperty("offers").EnumerateArray());
    }

    [Fact]
    public async Task A_chunked_body_over_MAX_BODY_SIZE_is_413_too()
    {
        var peer = gateway.IssuePeer();
        var topic = Api.Unique("chunked");
        var request = new RawRequest
        {
            Method = "POST",
            Target = Encoding.ASCII.GetBytes("/offers"),
            Body = Encoding.UTF8.GetBytes(OfferBody(topic, 3 * ProxyGatewayFixture.MaxBodySize)),
            Chunked = true,
            Kind = "chunked",
            Description = "chunked body past the limit",
        }.Header("Authorization", peer.Header).Header("Content-Type", "application/json");

        var response = await RawHttp.SendAsync(gateway.Port, request, TimeSpan.FromSeconds(10));

        Assert.Equal(413, response.Status);
        Assert.StartsWith("application/json", response.ContentType);
        Assert.Contains("\"error\"", response.Text);
        Assert.Empty(await _api.MineOk(peer));
        Assert.Equal(0, (await _api.DiscoverOk(topic)).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task A_body_just_under_the_limit_is_accepted()
    {
        var peer = gateway.IssuePeer();
        var topic = Api.Unique("fits");
        var overhead = Encoding.UTF8.GetByteCount(OfferBody(topic, 0));
        var body = OfferBody(topic, ProxyGatewayFixture.MaxBodySize - overhead);
        Assert.Equal(ProxyGatewayFixture.MaxBodySize, Encoding.UTF8.GetByteCount(body));

        Expect.Ok(await _api.Post("/offers", body, peer));
        Assert.Equal(1, (await _api.DiscoverOk(topic)).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Answers_and_candidates_over_MAX_BODY_SIZE_are_413_and_change_nothing()
    {
        var offerer = gateway.IssuePeer();
        var answerer = gateway.IssuePeer();
        var topic = Api.Unique("answer-big");
        var id = await _api.PublishOneOk(offerer, topic);

        Expect.Error(await _api.Answer(answerer, id, new string('a', ProxyGatewayFixture.MaxBodySize)), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(1, (await _api.DiscoverOk(topic)).GetProperty("total").GetInt32()); // still unanswered
        Assert.Empty(Expect.Ok(await _api.Get("/offers/answers", offerer)).GetProperty("answers").EnumerateArray());

        await _api.AnswerOk(answerer, id);
        var candidates = "[" + string.Join(",", Enumerable.Range(0, 100).Select(i => $"\"candidate-{i:D3}-padding-padding\"")) + "]";
        Expect.Error(await _api.PostCandidates(answerer, id, candidates), HttpStatusCode.RequestEntityTooLarge);
        Assert.Empty(await _api.CandidatesOk(offerer, id));
    }
}
