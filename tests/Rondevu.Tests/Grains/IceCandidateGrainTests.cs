using Rondevu.Grains;

namespace Rondevu.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class IceCandidateGrainTests(GrainClusterFixture cluster)
{
    /// <summary>A published offer answered by a second peer: the two sides of one ICE exchange.</summary>
    private async Task<(IOfferGrain Offer, string Offerer, string Answerer)> HandshakeAsync()
    {
        var offerer = Ids.New();
        var answerer = Ids.New();
        var offer = await cluster.PublishOneAsync(offerer, [GrainClusterFixture.UniqueTopic("ice")]);
        var grain = cluster.Offer(offer.Id);
        Assert.Equal(OfferOutcome.Ok, (await grain.AnswerAsync(answerer, "answer", null)).Outcome);
        return (grain, offerer, answerer);
    }

    private static string Candidate(int i) =>
        $$"""{"candidate":"candidate:{{i}} 1 udp 2122260223 192.0.2.{{i % 250}} {{50000 + i}} typ host","sdpMid":"0","sdpMLineIndex":0}""";

    [Fact]
    public async Task Each_side_reads_only_the_other_sides_candidates()
    {
        var (offer, offerer, answerer) = await HandshakeAsync();

        Assert.Equal(new CandidatesAdded(OfferOutcome.Ok, 2), await offer.AddCandidatesAsync(offerer, ["\"o1\"", "\"o2\""]));
        Assert.Equal(new CandidatesAdded(OfferOutcome.Ok, 1), await offer.AddCandidatesAsync(answerer, ["\"a1\""]));

        var forOfferer = await offer.GetCandidatesAsync(offerer, null);
        Assert.Equal(OfferOutcome.Ok, forOfferer.Outcome);
        var fromAnswerer = Assert.Single(forOfferer.Candidates);
        Assert.Equal(("\"a1\"", answerer, IceRole.Answerer), (fromAnswerer.Json, fromAnswerer.PeerId, fromAnswerer.Role));

        var forAnswerer = await offer.GetCandidatesAsync(answerer, null);
        Assert.Equal(OfferOutcome.Ok, forAnswerer.Outcome);
        Assert.Equal(["\"o1\"", "\"o2\""], forAnswerer.Candidates.Select(c => c.Json));
        Assert.All(forAnswerer.Candidates, c => Assert.Equal((offerer, IceRole.Offerer), (c.PeerId, c.Role)));
    }

    [Fact]
    public async Task A_stranger_can_neither_post_nor_read_candidates()
    {
        var offerer = Ids.New();
        var offer = cluster.Offer((await cluster.PublishOneAsync(offerer, [GrainClusterFixture.UniqueTopic("ice-stranger")])).Id);
        var wouldBeAnswerer = Ids.New();

        // Before the answer the future answerer is a stranger too.
        Assert.Equal(OfferOutcome.NotParticipant, (await offer.AddCandidatesAsync(wouldBeAnswerer, ["{}"])).Outcome);
        Assert.Equal(OfferOutcome.Ok, (await offer.AddCandidatesAsync(offerer, ["\"early\""])).Outcome);
        Assert.Equal(OfferOutcome.Ok, (await offer.AnswerAsync(wouldBeAnswerer, "answer", null)).Outcome);
        Assert.Equal(["\"early\""], (await offer.GetCandidatesAsync(wouldBeAnswerer, null)).Candidates.Select(c => c.Json));

        var stranger = Ids.New();
        Assert.Equal(new CandidatesAdded(OfferOutcome.NotParticipant, 0), await offer.AddCandidatesAsync(stranger, ["{}"]));
        var read = await offer.GetCandidatesAsync(stranger, null);
        Assert.Equal(OfferOutcome.NotParticipant, read.Outcome);
        Assert.Empty(read.Candidates);
        Assert.Empty((await offer.GetCandidatesAsync(offerer, null)).Candidates);
    }

    [Fact]
    public async Task CreatedAt_strictly_increases_within_one_batch()
    {
        var (offer, offerer, answerer) = await HandshakeAsync();
        var before = GrainClusterFixture.Now;

        await offer.AddCandidatesAsync(answerer, Enumerable.Range(0, 20).Select(Candidate).ToArray());

        var read = (await offer.GetCandidatesAsync(offerer, null)).Candidates;
        Assert.Equal(Enumerable.Range(0, 20).Select(Candidate), read.Select(c => c.Json));
        Assert.True(read[0].CreatedAt >= before);
        Assert.All(read.Zip(read.Skip(1)), pair => Assert.True(pair.First.CreatedAt < pair.Second.CreatedAt));
    }

    [Fact]
    public async Task Concurrent_posts_get_distinct_increasing_createdAt_and_since_chaining_skips_nothing()
    {
        var (offer, offerer, answerer) = await HandshakeAsync();
        const int posts = 40;

        // The 0.7 client fires one POST per candidate without waiting; the offerer polls with
        // since = the last createdAt it saw. The poller runs while the posts land.
        var writersDone = false;
        var seen = new List<IceCandidate>();
        var reader = Task.Run(async () =>
        {
            long? since = null;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                var done = Volatile.Read(ref writersDone);
                var page = (await offer.GetCandidatesAsync(offerer, since)).Candidates;
                seen.AddRange(page);
                if (page.Length > 0)
                {
                    since = page[^1].CreatedAt;
                }
                else if (done)
                {
                    return;
                }
            }
            Assert.Fail("the since-chained poller never caught up");
        });
        var added = await Task.WhenAll(Enumerable.Range(0, posts).Select(i => offer.AddCandidatesAsync(answerer, [Candidate(i)])));
        Volatile.Write(ref writersDone, true);
        await reader;

        Assert.All(added, a => Assert.Equal(new CandidatesAdded(OfferOutcome.Ok, 1), a));
        var all = (await offer.GetCandidatesAsync(offerer, null)).Candidates;
        Assert.Equal(posts, all.Length);
        Assert.Equal(Enumerable.Range(0, posts).Select(Candidate).Order(StringComparer.Ordinal), all.Select(c => c.Json).Order(StringComparer.Ordinal));
        Assert.All(all.Zip(all.Skip(1)), pair => Assert.True(pair.First.CreatedAt < pair.Second.CreatedAt));
        // Posts in one millisecond (the test clock stands still) still got distinct times.
        Assert.Equal(posts, all.Select(c => c.CreatedAt).Distinct().Count());
        // The chained poller saw every candidate exactly once, in order.
        Assert.Equal(all.Select(c => (c.Json, c.CreatedAt)), seen.Select(c => (c.Json, c.CreatedAt)));

        // since = any createdAt returns exactly the later ones.
        foreach (var i in new[] { 0, 17, posts - 1 })
        {
            var after = (await offer.GetCandidatesAsync(offerer, all[i].CreatedAt)).Candidates;
            Assert.Equal(all.Skip(i + 1).Select(c => c.CreatedAt), after.Select(c => c.CreatedAt));
        }
    }

    [Fact]
    public async Task A_later_batch_continues_after_the_sides_last_createdAt()
    {
        var (offer, offerer, answerer) = await HandshakeAsync();

        // A batch stamps ahead of the clock; the next batch, posted at once, must still come after it.
        await offer.AddCandidatesAsync(offerer, Enumerable.Range(0, 30).Select(Candidate).ToArray());
        var last = (await offer.GetCandidatesAsync(answerer, null)).Candidates[^1].CreatedAt;
        await offer.AddCandidatesAsync(offerer, ["\"next\""]);

        var next = Assert.Single((await offer.GetCandidatesAsync(answerer, last)).Candidates);
        Assert.Equal("\"next\"", next.Json);
        Assert.True(next.CreatedAt > last);
    }

    [Fact]
    public async Task Per_side_candidate_cap_refuses_the_whole_batch_and_stores_nothing()
    {
        var (offer, offerer, answerer) = await HandshakeAsync();
        const int cap = GrainClusterFixture.MaxIceCandidatesPerOffer;

        Assert.Equal(new CandidatesAdded(OfferOutcome.Ok, cap - 5), await offer.AddCandidatesAsync(answerer, Enumerable.Range(0, cap - 5).Select(Candidate).ToArray()));
        Assert.Equal(new CandidatesAdded(OfferOutcome.CandidateLimit, 0), await offer.AddCandidatesAsync(answerer, Enumerable.Range(100, 6).Select(Candidate).ToArray()));
        Assert.Equal(cap - 5, (await offer.GetCandidatesAsync(offerer, null)).Candidates.Length);

        Assert.Equal(new CandidatesAdded(OfferOutcome.Ok, 5), await offer.AddCandidatesAsync(answerer, Enumerable.Range(200, 5).Select(Candidate).ToArray()));
        Assert.Equal(new CandidatesAdded(OfferOutcome.CandidateLimit, 0), await offer.AddCandidatesAsync(answerer, ["\"one too many\""]));
        var stored = (await offer.GetCandidatesAsync(offerer, null)).Candidates;
        Assert.Equal(cap, stored.Length);
        Assert.DoesNotContain(stored, c => c.Json == "\"one too many\"" || c.Json == Candidate(100));

        // The cap is per side: the offerer still has its whole allowance.
        Assert.Equal(new CandidatesAdded(OfferOutcome.Ok, cap), await offer.AddCandidatesAsync(offerer, Enumerable.Range(0, cap).Select(Candidate).ToArray()));
    }

    [Fact]
    public async Task Candidate_json_text_comes_back_byte_identical()
    {
        var (offer, offerer, answerer) = await HandshakeAsync();
        string[] texts =
        [
            """{"candidate":"candidate:842163049 1 udp 1677729535 203.0.113.7 3478 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag sYp1 network-cost 999","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"sYp1"}""",
            "1.0",
            "-0.0e0",
            "null",
            """ { "b" : 1 , "a" : [ 1.50, 2E+3 ] } """,
            """{"escaped":"\u00e9\/\"\\ \ud83d\ude00","raw":"é😀 \u0000"}""",
            "\"\"",
            "{\n\t\"nested\": {\"x\": {\"y\": []}}\r\n}",
        ];

        await offer.AddCandidatesAsync(offerer, texts);

        var read = (await offer.GetCandidatesAsync(answerer, null)).Candidates.Select(c => c.Json).ToArray();
        Assert.Equal(texts.Length, read.Length);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.True(string.Equals(texts[i], read[i], StringComparison.Ordinal), $"candidate {i} changed: {read[i]}");
        }
    }
}
