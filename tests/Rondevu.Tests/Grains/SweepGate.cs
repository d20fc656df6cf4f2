using Rondevu.Grains;

namespace Rondevu.Tests.Grains;

/// <summary>
/// The offer store as the grains' catalog, with a gate on the one query the sweep makes: while a test
/// holds it, the sweep finds nothing to end, so whatever cleanup happens meanwhile is some other path's work.
/// </summary>
public sealed class SweepGate(IOfferCatalog catalog) : IOfferCatalog
{
    private int _holds;

    /// <summary>Hides expired offers from the sweep until the returned handle is disposed.</summary>
    public IDisposable Hold()
    {
        Interlocked.Increment(ref _holds);
        return new Release(this);
    }

    public Task<IReadOnlyList<string>> ExpiredAsync(long now, int limit) =>
        Volatile.Read(ref _holds) > 0 ? Task.FromResult<IReadOnlyList<string>>([]) : catalog.ExpiredAsync(now, limit);

    public Task AddAsync(string id, OfferState state) => catalog.AddAsync(id, state);
    public Task<IReadOnlyList<StoredOffer>> OwnedByAsync(string peerId) => catalog.OwnedByAsync(peerId);
    public Task<IReadOnlyList<StoredOffer>> AnsweredByAsync(string peerId) => catalog.AnsweredByAsync(peerId);
    public Task<IReadOnlyList<StoredOffer>> ListedInAsync(string topic) => catalog.ListedInAsync(topic);
    public Task<IReadOnlyList<TopicTally>> TopicsAsync(long now) => catalog.TopicsAsync(now);

    private sealed class Release(SweepGate gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref gate._holds);
            }
        }
    }
}
