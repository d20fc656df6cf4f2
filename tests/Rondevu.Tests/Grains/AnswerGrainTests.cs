using Rondevu.Grains;

namespace Rondevu.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class AnswerGrainTests(GrainClusterFixture cluster)
{
    [Fact]
    public async Task Twenty_concurrent_answers_have_exactly_one_winner()
    {
        var owner = Ids.New();
        var topic = GrainClusterFixture.UniqueTopic("race");
        var offer = await cluster.PublishOneAsync(owner, [topic]);
        var bystander = await cluster.PublishOneAsync(Ids.New(), [topic]);
        Assert.Equal(2, await cluster.IndexedPeersAsync(topic));

        var answerers = Enumerable.Range(0, 20).Select(_ => Ids.New()).ToArray();
        var results = await Task.WhenAll(answerers.Select(a => cluster.Offer(offer.Id).AnswerAsync(a, $"answer from {a}", null)));

        var winners = answerers.Zip(results).Where(x => x.Second.Outcome == OfferOutcome.Ok).ToArray();
        var (winner, won) = Assert.Single(winners);
        Assert.All(results.Where(r => r.Outcome != OfferOutcome.Ok), r => Assert.Equal(OfferOutcome.AlreadyAnswered, r.Outcome));

        var view = await cluster.Offer(offer.Id).GetAsync();
        Assert.NotNull(view);
        Assert.Equal(winner, view.AnswererPeerId);
        Assert.Equal(won.AnsweredAt, view.AnsweredAt);

        // Out of discovery and out of the topic's active-peer count before the answer was acknowledged.
        var page = await cluster.Topic(topic).DiscoverAsync(50, null);
        Assert.Equal(1, page.Total);
        Assert.Equal(bystander.Id, Assert.Single(page.Offers).OfferId);
        Assert.Equal(1, await cluster.IndexedPeersAsync(topic));

        // In the owner's mailbox, and still among the owner's offers.
        var notice = Assert.Single(await cluster.Peer(owner).GetAnswersAsync(null));
        Assert.Equal(offer.Id, notice.OfferId);
        Assert.Equal(winner, notice.AnswererId);
        Assert.Equal($"answer from {winner}", notice.Sdp);
        Assert.Equal(won.AnsweredAt, notice.AnsweredAt);
        Assert.Equal([topic], notice.Topics);
        Assert.Equal(view.ExpiresAt, notice.ExpiresAt);
        Assert.Empty(await cluster.Peer(owner).GetAnswersAsync(won.AnsweredAt));
        Assert.Single(await cluster.Peer(owner).GetAnswersAsync(won.AnsweredAt - 1));
        var owned = Assert.Single(await cluster.Peer(owner).GetOffersAsync());
        Assert.Equal(winner, owned.AnswererPeerId);

        // Even the winner can't answer twice.
        Assert.Equal(OfferOutcome.AlreadyAnswered, (await cluster.Offer(offer.Id).AnswerAsync(winner, "again", null)).Outcome);
    }

    [Fact]
    public async Task Answering_your_own_offer_is_refused()
    {
        var owner = Ids.New();
        var topic = GrainClusterFixture.UniqueTopic("own");
        var offer = await cluster.PublishOneAsync(owner, [topic]);

        Assert.Equal(OfferOutcome.OwnOffer, (await cluster.Offer(offer.Id).AnswerAsync(owner, "sdp", null)).Outcome);

        Assert.Null((await cluster.Offer(offer.Id).GetAsync())!.AnswererPeerId);
        Assert.Equal(1, (await cluster.Topic(topic).DiscoverAsync(50, null)).Total);
        Assert.Empty(await cluster.Peer(owner).GetAnswersAsync(null));
    }

    [Fact]
    public async Task Secret_protected_offer_takes_only_the_right_secret()
    {
        var owner = Ids.New();
        var offer = await cluster.PublishOneAsync(owner, [GrainClusterFixture.UniqueTopic("secret")], secret: "open sesame");
        var grain = cluster.Offer(offer.Id);
        var answerer = Ids.New();

        Assert.Equal(OfferOutcome.WrongSecret, (await grain.AnswerAsync(answerer, "sdp", null)).Outcome);
        Assert.Equal(OfferOutcome.WrongSecret, (await grain.AnswerAsync(answerer, "sdp", "")).Outcome);
        Assert.Equal(OfferOutcome.WrongSecret, (await grain.AnswerAsync(answerer, "sdp", "open sesame ")).Outcome);
        Assert.Equal(OfferOutcome.WrongSecret, (await grain.AnswerAsync(answerer, "sdp", "Open sesame")).Outcome);
        Assert.Null((await grain.GetAsync())!.AnswererPeerId);

        Assert.Equal(OfferOutcome.Ok, (await grain.AnswerAsync(answerer, "sdp", "open sesame")).Outcome);
        Assert.Equal(answerer, (await grain.GetAsync())!.AnswererPeerId);
    }

    [Fact]
    public async Task Offer_without_secret_accepts_an_answer_that_sends_one()
    {
        var offer = await cluster.PublishOneAsync(Ids.New(), [GrainClusterFixture.UniqueTopic("no-secret")]);

        Assert.Equal(OfferOutcome.Ok, (await cluster.Offer(offer.Id).AnswerAsync(Ids.New(), "sdp", "unneeded")).Outcome);
    }

    [Fact]
    public async Task Answer_shortens_a_long_expiry_to_answeredAt_plus_the_answered_ttl()
    {
        var offer = await cluster.PublishOneAsync(Ids.New(), [GrainClusterFixture.UniqueTopic("shorten")]);

        var result = await cluster.Offer(offer.Id).AnswerAsync(Ids.New(), "sdp", null);

        Assert.Equal(OfferOutcome.Ok, result.Outcome);
        Assert.InRange(result.AnsweredAt, offer.CreatedAt, GrainClusterFixture.Now);
        Assert.Equal(result.AnsweredAt + GrainClusterFixture.AnsweredOfferTtl, (await cluster.Offer(offer.Id).GetAsync())!.ExpiresAt);
    }

    [Fact]
    public async Task Answer_keeps_an_expiry_that_is_already_sooner_than_the_answered_ttl()
    {
        var offer = await cluster.PublishOneAsync(
            Ids.New(), [GrainClusterFixture.UniqueTopic("keep")], ttlMs: GrainClusterFixture.AnsweredOfferTtl - 500);

        var result = await cluster.Offer(offer.Id).AnswerAsync(Ids.New(), "sdp", null);

        Assert.Equal(OfferOutcome.Ok, result.Outcome);
        Assert.True(offer.ExpiresAt < result.AnsweredAt + GrainClusterFixture.AnsweredOfferTtl);
        Assert.Equal(offer.ExpiresAt, (await cluster.Offer(offer.Id).GetAsync())!.ExpiresAt);
    }
}
