using System.Collections.Concurrent;
using Orleans.Storage;

namespace Rondevu.Grains;

/// <summary>
/// Grain state for the single process, where the silo is the only one and its state lives exactly as
/// long as the process: it keeps the state object itself, so a write costs a dictionary update
/// instead of a serialization, a copy and a call to Orleans' storage grain (together the largest cost
/// of a handshake). A reactivated grain gets back the object its previous activation last wrote.
/// No ETags: with one silo Orleans never runs two activations of a grain, so there is no other writer
/// to detect, and an idle offer's state is then just its object and one dictionary entry.
/// Not for a cluster: another silo can't see these objects.
/// </summary>
public sealed class InProcessGrainStorage : IGrainStorage
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<GrainId, object>> _states = new();

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (States(stateName).TryGetValue(grainId, out var stored))
        {
            grainState.State = (T)stored;
            grainState.RecordExists = true;
        }
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        States(stateName)[grainId] = grainState.State!;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        States(stateName).TryRemove(grainId, out _);
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private ConcurrentDictionary<GrainId, object> States(string stateName) => _states.GetOrAdd(stateName, _ => new());
}
