using Orleans.Runtime;
using Rondevu.Grains;

namespace Rondevu.Tests.Grains;

/// <summary>The single process's offer store: what a grain wrote is what its next activation reads, and the
/// catalog's queries follow every write and clear.</summary>
public sealed class InMemoryOfferStoreTests
{
    private static GrainId OfferId(string id) => GrainId.Create("offer", id);

    private static async Task<InMemoryOfferStore> StoreWithAsync(params (string Id, OfferState State)[] offers)
    {
        var store = new InMemoryOfferStore();
        foreach (var (id, state) in offers)
        {
            await store.WriteStateAsync("offer", OfferId(id), new GrainState<OfferState> { State = state });
        }
        return store;
    }

    [Fact]
    public async Task A_new_activation_reads_the_object_the_last_one_wrote()
    {
        var first = new OfferState { PeerId = "p", Sdp = "v1" };
        var second = first with { Sdp = "v2" };
        var store = await StoreWithAsync(("1", first), ("1", second));

        var read = new GrainState<OfferState>();
        await store.ReadStateAsync("offer", OfferId("1"), read);

        Assert.True(read.RecordExists);
        Assert.Same(second, read.State);
    }

    [Fact]
    public async Task Cleared_offer_is_gone_from_reads_and_every_query()
    {
        var store = await StoreWithAsync(("1", new OfferState { PeerId = "p", Topics = ["t"], ExpiresAt = 10 }));
        await store.ClearStateAsync("offer", OfferId("1"), new GrainState<OfferState>());

        var read = new GrainState<OfferState>();
        await store.ReadStateAsync("offer", OfferId("1"), read);
        Assert.False(read.RecordExists);
        Assert.Empty(await store.OwnedByAsync("p"));
        Assert.Empty(await store.ListedInAsync("t"));
        Assert.Empty(await store.ExpiredAsync(now: 100, limit: 10));
        Assert.Empty(await store.TopicsAsync(now: 0));
    }

    [Fact]
    public async Task Queries_find_offers_by_owner_answerer_topic_and_expiry()
    {
        var store = await StoreWithAsync(
            ("a", new OfferState { PeerId = "p", Topics = ["t", "u"], ExpiresAt = 100 }),
            ("b", new OfferState { PeerId = "p", Topics = ["t"], ExpiresAt = 50, AnswererPeerId = "q" }),
            ("c", new OfferState { PeerId = "r", Topics = ["t"], ExpiresAt = 200 }));

        Assert.Equal(["a", "b"], (await store.OwnedByAsync("p")).Select(o => o.Id).Order());
        Assert.Equal("b", Assert.Single(await store.AnsweredByAsync("q")).Id);
        // An answered offer is no longer listed in its topics.
        Assert.Equal(["a", "c"], (await store.ListedInAsync("t")).Select(o => o.Id).Order());
        Assert.Equal("b", Assert.Single(await store.ExpiredAsync(now: 60, limit: 10)));
        var tallies = (await store.TopicsAsync(now: 60)).OrderBy(t => t.Topic).ToArray();
        Assert.Equal([new TopicTally("t", 2, 100), new TopicTally("u", 1, 100)], tallies);
        // At 150 only c is live and listed.
        Assert.Equal([new TopicTally("t", 1, 200)], await store.TopicsAsync(now: 150));
    }

    [Fact]
    public async Task Answering_moves_an_offer_out_of_its_topics_and_to_its_answerer()
    {
        var listed = new OfferState { PeerId = "p", Topics = ["t"], ExpiresAt = 100 };
        var store = await StoreWithAsync(("a", listed), ("a", listed with { AnswererPeerId = "q" }));

        Assert.Empty(await store.ListedInAsync("t"));
        Assert.Equal("a", Assert.Single(await store.AnsweredByAsync("q")).Id);
        Assert.Equal("a", Assert.Single(await store.OwnedByAsync("p")).Id);
    }
}
