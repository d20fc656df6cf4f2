using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Rondevu.Grains;

/// <summary>
/// Places a grain by its key's owner shard (<see cref="Ids.ShardOf"/>) over the silos sorted by address, so a
/// peer's grain and its offers' grains start on the same silo: an offer's notices to its owner (answered,
/// the answerer's candidates, removed) stay in that silo instead of crossing to another. Silos that disagree
/// on membership for a moment only place a grain elsewhere, which costs a hop, never correctness: the grain
/// directory still decides where the one activation is.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class OwnerPlacement : PlacementStrategy;

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class OwnerPlacementAttribute() : PlacementAttribute(new OwnerPlacement());

public sealed class OwnerPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        Array.Sort(silos);
        var shard = Ids.ShardOf(target.GrainIdentity.Key.ToString()!);
        return Task.FromResult(silos[shard % (uint)silos.Length]);
    }
}
