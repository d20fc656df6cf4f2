using Rondevu.Grains;

namespace Rondevu.Tests.Grains;

/// <summary>Many changes interleaving on one hot topic, through storage that serializes late (see
/// <see cref="LateSerializingStorage"/>): a grain that changed state under a write in flight would fail here.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class ConcurrencyGrainTests(GrainClusterFixture cluster)
{
    [Fact]
    public async Task Concurrent_publishes_answers_candidates_and_deletes_on_one_topic_all_succeed()
    {
        const int pairs = 60;
        var topic = GrainClusterFixture.UniqueTopic("hot");
        var results = await Task.WhenAll(Enumerable.Range(0, pairs).Select(async i =>
        {
            var owner = Ids.New();
            var answerer = Ids.New();
            var offer = await cluster.PublishOneAsync(owner, [topic, GrainClusterFixture.UniqueTopic("own")]);
            var discovery = cluster.Topic(topic).DiscoverAsync(10, null);
            var answer = await cluster.Offer(offer.Id).AnswerAsync(answerer, $"answer {i}", null);
            var posts = await Task.WhenAll(
                cluster.Offer(offer.Id).AddCandidatesAsync(owner, ["{\"o\":1}"]),
                cluster.Offer(offer.Id).AddCandidatesAsync(owner, ["{\"o\":2}"]),
                cluster.Offer(offer.Id).AddCandidatesAsync(answerer, ["{\"a\":1}"]),
                cluster.Offer(offer.Id).AddCandidatesAsync(answerer, ["{\"a\":2}"]));
            await discovery;
            var answers = await cluster.Peer(owner).GetAnswersAsync(null);
            var deleted = i % 2 == 0 && await cluster.Offer(offer.Id).DeleteAsync(owner);
            return (answer.Outcome, Posts: posts.Select(p => p.Outcome).ToArray(), Answered: answers.Length, Deleted: deleted, i);
        }));

        Assert.All(results, r =>
        {
            Assert.Equal(OfferOutcome.Ok, r.Outcome);
            Assert.All(r.Posts, p => Assert.Equal(OfferOutcome.Ok, p));
            Assert.Equal(1, r.Answered);
            Assert.Equal(r.i % 2 == 0, r.Deleted);
        });
        // Every offer was answered, so none is left to discover.
        Assert.Equal(0, (await cluster.Topic(topic).DiscoverAsync(200, null)).Total);
        Assert.Empty(await GrainClusterFixture.Store.ListedInAsync(topic));
    }
}
