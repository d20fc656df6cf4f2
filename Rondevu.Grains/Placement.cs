using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Rondevu.Grains;

/// <summary>
/// Places a topic's grain on the silo of its index shard (<see cref="TopicShards"/>), so a topic's reports to
/// the index stay in that silo.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class TopicShardPlacement : PlacementStrategy;

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class TopicShardPlacementAttribute() : PlacementAttribute(new TopicShardPlacement());

/// <summary>
/// Maps a shard onto the silos sorted by address. Silos that disagree on membership for a moment only place a
/// grain away from its partner, which costs a hop, never correctness: the grain directory still decides where
/// the one activation is.
/// </summary>
public sealed class TopicShardPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var id = target.GrainIdentity;
        var shard = id.TryGetIntegerKey(out var indexShard, out _)
            ? (int)indexShard
            : TopicShards.Of(GrainReferences.TopicOf(id.Key.ToString()!));
        // A sorted copy: the array Orleans hands out may be its own cached list.
        var silos = context.GetCompatibleSilos(target).Order().ToArray();
        return Task.FromResult(silos[shard % silos.Length]);
    }
}
