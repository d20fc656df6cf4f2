using Orleans.Runtime;
using Rondevu.Grains;

namespace Rondevu.Tests.Grains;

/// <summary>The single process's storage: what a grain wrote is what its next activation reads, nothing else.</summary>
public sealed class InProcessGrainStorageTests
{
    private static readonly GrainId Offer1 = GrainId.Create("offer", "1");
    private static readonly GrainId Offer2 = GrainId.Create("offer", "2");

    [Fact]
    public async Task A_new_activation_reads_the_object_the_last_one_wrote()
    {
        var storage = new InProcessGrainStorage();
        var written = new GrainState<OfferState> { State = new OfferState { PeerId = "p", Sdp = "v1" } };
        await storage.WriteStateAsync("offer", Offer1, written);
        written.State.Sdp = "v2";
        await storage.WriteStateAsync("offer", Offer1, written);

        var read = new GrainState<OfferState>();
        await storage.ReadStateAsync("offer", Offer1, read);

        Assert.True(read.RecordExists);
        Assert.Same(written.State, read.State);
        Assert.Equal("v2", read.State!.Sdp);
    }

    [Fact]
    public async Task States_are_kept_apart_by_grain_and_by_state_name()
    {
        var storage = new InProcessGrainStorage();
        await storage.WriteStateAsync("offer", Offer1, new GrainState<OfferState> { State = new OfferState { Sdp = "one" } });

        var otherGrain = new GrainState<OfferState>();
        await storage.ReadStateAsync("offer", Offer2, otherGrain);
        var otherName = new GrainState<OfferState>();
        await storage.ReadStateAsync("peer", Offer1, otherName);

        Assert.False(otherGrain.RecordExists);
        Assert.NotEqual("one", otherGrain.State?.Sdp);
        Assert.False(otherName.RecordExists);
    }

    [Fact]
    public async Task Cleared_state_is_gone_for_the_next_activation()
    {
        var storage = new InProcessGrainStorage();
        var state = new GrainState<OfferState> { State = new OfferState { Sdp = "x" } };
        await storage.WriteStateAsync("offer", Offer1, state);
        await storage.ClearStateAsync("offer", Offer1, state);

        var read = new GrainState<OfferState>();
        await storage.ReadStateAsync("offer", Offer1, read);

        Assert.False(state.RecordExists);
        Assert.False(read.RecordExists);
        Assert.NotEqual("x", read.State?.Sdp);
    }
}
