using Orleans.Runtime;
using Orleans.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Rondevu.Grains;

namespace Rondevu.Tests.Grains;

/// <summary>The grain tests' storage really catches a state changed while its write is in flight, the hazard
/// Orleans' ADO.NET provider has.</summary>
public sealed class LateSerializingStorageTests
{
    [GenerateSerializer]
    public sealed class MutableState
    {
        [Id(0)] public List<string> Items { get; set; } = [];
    }

    private static Serializer NewSerializer() =>
        new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    [Fact]
    public async Task A_state_changed_during_the_write_fails_the_write()
    {
        var storage = new LateSerializingStorage(new InMemoryOfferStore(), NewSerializer());
        var state = new GrainState<MutableState> { State = new MutableState { Items = ["a"] } };

        var write = storage.WriteStateAsync("s", GrainId.Create("g", "1"), state);
        state.State.Items.Add("changed meanwhile");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => write);
        Assert.Contains("changed while its write was in flight", error.Message);
    }
}
