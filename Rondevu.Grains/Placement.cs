using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Rondevu.Grains;

/// <summary>
/// Places a peer's grain and its offers' grains by the owner's shard (<see cref="Ids.ShardOf"/>), so they start
/// on the same silo: an offer's notices to its owner (answered, the answerer's candidates, removed) stay in that
/// silo instead of crossing to another.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class OwnerPlacement : PlacementStrategy;

/// <summary>
/// Places a topic's grain on the silo of its index shard (<see cref="TopicShards"/>), so a topic's reports to
/// the index stay in that silo.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class TopicShardPlacement : PlacementStrategy;

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class OwnerPlacementAttribute() : PlacementAttribute(new OwnerPlacement());

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class TopicShardPlacementAttribute() : PlacementAttribute(new TopicShardPlacement());

/// <summary>
/// Both strategies map a shard onto the silos sorted by address. Silos that disagree on membership for a moment
/// only place a grain away from its partners, which costs a hop, never correctness: the grain directory still
/// decides where the one activation is.
/// </summary>
public sealed class ShardPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var id = target.GrainIdentity;
        var shard = strategy switch
        {
            TopicShardPlacement when id.TryGetIntegerKey(out var indexShard, out _) => (uint)indexShard,
            TopicShardPlacement => (uint)TopicShards.Of(GrainReferences.TopicOf(id.Key.ToString()!)),
            _ => Ids.ShardOf(id.Key.ToString()!),
        };
        // A sorted copy: the array Orleans hands out may be its own cached list.
        var silos = context.GetCompatibleSilos(target).Order().ToArray();
        return Task.FromResult(silos[shard % (uint)silos.Length]);
    }
}
