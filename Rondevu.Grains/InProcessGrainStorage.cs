using System.Collections.Concurrent;
using System.Globalization;
using Orleans.Storage;

namespace Rondevu.Grains;

/// <summary>
/// Grain state for the single process, where the silo is the only one and its state lives exactly as
/// long as the process: it keeps the state object itself, so a write costs a dictionary update
/// instead of a serialization, a copy and a call to Orleans' storage grain (together the largest cost
/// of a handshake). A reactivated grain gets back the object its previous activation last wrote.
/// Not for a cluster: another silo can't see these objects.
/// </summary>
public sealed class InProcessGrainStorage : IGrainStorage
{
    private readonly ConcurrentDictionary<(string StateName, GrainId GrainId), Stored> _states = new();
    private long _version;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_states.TryGetValue((stateName, grainId), out var stored))
        {
            grainState.State = (T)stored.State;
            grainState.ETag = stored.ETag;
            grainState.RecordExists = true;
        }
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = (stateName, grainId);
        CheckETag(key, grainState.ETag);
        var stored = new Stored(grainState.State!, NextETag());
        _states[key] = stored;
        grainState.ETag = stored.ETag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = (stateName, grainId);
        CheckETag(key, grainState.ETag);
        _states.TryRemove(key, out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    /// <summary>Only one activation may write a grain's state: a stale ETag means another one did.</summary>
    private void CheckETag((string, GrainId) key, string? expected)
    {
        var current = _states.TryGetValue(key, out var stored) ? stored.ETag : null;
        if (current != expected)
        {
            throw new InconsistentStateException($"ETag mismatch for {key.Item2}", current ?? "", expected ?? "");
        }
    }

    private string NextETag() => Interlocked.Increment(ref _version).ToString(CultureInfo.InvariantCulture);

    private sealed record Stored(object State, string ETag);
}
