using Orleans.Serialization;
using Orleans.Storage;

namespace Rondevu.Tests.Grains;

/// <summary>
/// Grain storage that behaves like Orleans' ADO.NET provider where it matters for races: it serializes
/// the state only after an await (the provider opens its connection first), off the caller's turn. It
/// also serializes once before that await and fails the write when the two differ, so a grain that
/// changes its state while the write is in flight fails a test on any machine, not only when a real
/// thread race happens to tear the row. What it stores is a copy (as a database would), kept by
/// <paramref name="inner"/>.
/// </summary>
public sealed class LateSerializingStorage(IGrainStorage inner, Serializer serializer) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var handedOver = serializer.SerializeToArray(grainState.State);
        await Task.Delay(1).ConfigureAwait(false);
        var written = serializer.SerializeToArray(grainState.State);
        if (!handedOver.AsSpan().SequenceEqual(written))
        {
            throw new InvalidOperationException($"The state of {grainId} changed while its write was in flight");
        }
        var copy = new GrainState<T>(serializer.Deserialize<T>(written), grainState.ETag) { RecordExists = grainState.RecordExists };
        await inner.WriteStateAsync(stateName, grainId, copy);
        grainState.ETag = copy.ETag;
        grainState.RecordExists = copy.RecordExists;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await Task.Delay(1).ConfigureAwait(false);
        await inner.ClearStateAsync(stateName, grainId, grainState);
    }
}
