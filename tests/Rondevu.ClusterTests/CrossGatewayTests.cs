namespace Rondevu.ClusterTests;

public sealed partial class ClusterTests
{
    /// <summary>
    /// Gateways hold no state: an offer published through gateway 1 is discovered, answered and
    /// trickled through gateway 2, and the offerer reads it all back through gateway 1. Credentials
    /// issued by one gateway work on the other (shared AUTH_SECRET).
    /// </summary>
    [Fact, Order(2)]
    public async Task Handshake_split_across_both_gateways_sees_one_state()
    {
        var topic = $"cross/{_run} room";
        var offerer = await G1.RegisterAsync();
        var answerer = await G1.RegisterAsync(); // registered on 1, used only on 2
        var offerId = await G1.CreateOfferOkAsync(offerer, "v=0 offer-sdp", [topic, $"cross-{_run}-other"], info: "hello");

        // Discovery on gateway 2 (topic with '/' and a space, percent-encoded).
        var discovered = await G2.GetAsync($"/offers/by-topic/{Uri.EscapeDataString(topic)}");
        Assert.True(discovered.Ok, discovered.ToString());
        var offers = discovered.Json["offers"]!.AsArray();
        var offer = Assert.Single(offers)!;
        Assert.Equal(offerId, (string)offer["id"]!);
        Assert.Equal(offerer.Id, (string)offer["peerId"]!);
        Assert.Equal("v=0 offer-sdp", (string)offer["sdp"]!);
        Assert.Equal("hello", (string)offer["info"]!);
        Assert.Equal(1, (int)discovered.Json["total"]!);

        var answer = await G2.AnswerAsync(answerer, offerId, "v=0 answer-sdp");
        Assert.True(answer.Ok, $"answer on gateway 2: {answer}");
        Assert.Equal(answerer.Id, (string)answer.Json["answererId"]!);

        // The answered offer leaves discovery on both gateways at once.
        foreach (var gateway in cluster.Gateways)
        {
            var after = await gateway.GetAsync($"/offers/by-topic/{Uri.EscapeDataString(topic)}");
            Assert.True(after.Ok, after.ToString());
            Assert.Empty(after.Json["offers"]!.AsArray());
        }

        string[] fromAnswerer = [Ice.Candidate("ans", 1), Ice.Candidate("ans", 2)];
        var posted = await G2.PostCandidatesAsync(answerer, offerId, fromAnswerer);
        Assert.True(posted.Ok, $"answerer's candidates on gateway 2: {posted}");

        // The offerer, on gateway 1, sees the answer and the answerer's candidates verbatim.
        var answers = await G1.GetAsync("/offers/answers", offerer);
        Assert.True(answers.Ok, answers.ToString());
        var item = Assert.Single(answers.Json["answers"]!.AsArray())!;
        Assert.Equal(offerId, (string)item["offerId"]!);
        Assert.Equal(answerer.Id, (string)item["answererId"]!);
        Assert.Equal("v=0 answer-sdp", (string)item["sdp"]!);

        var offererView = await G1.GetAsync($"/offers/{offerId}/ice-candidates?since=0", offerer);
        Assert.True(offererView.Ok, offererView.ToString());
        Assert.Equal(fromAnswerer, Json.CandidateTexts(offererView.Body));
        Assert.All(offererView.Json["candidates"]!.AsArray(), c =>
        {
            Assert.Equal("answerer", (string)c!["role"]!);
            Assert.Equal(answerer.Id, (string)c["peerId"]!);
        });

        // And the other way round.
        string[] fromOfferer = [Ice.Candidate("off", 7)];
        Assert.True((await G1.PostCandidatesAsync(offerer, offerId, fromOfferer)).Ok);
        var answererView = await G2.GetAsync($"/offers/{offerId}/ice-candidates", answerer);
        Assert.True(answererView.Ok, answererView.ToString());
        Assert.Equal(fromOfferer, Json.CandidateTexts(answererView.Body));

        // The offer as its owner sees it, on either gateway.
        foreach (var gateway in cluster.Gateways)
        {
            var mine = await gateway.GetAsync("/offers/mine", offerer);
            var own = Assert.Single(mine.Json["offers"]!.AsArray())!;
            Assert.Equal(answerer.Id, (string)own["answererPeerId"]!);
        }
    }
}
