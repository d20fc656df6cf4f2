using Orleans.Storage;

namespace Rondevu.Grains;

/// <summary>
/// The offers of a host without a database (the single process, a one-silo development silo): it keeps
/// each offer's immutable state object itself, so a write is a dictionary update, never a
/// serialization, and answers the catalog's queries from indexes by peer and by topic.
/// No ETags: with one silo Orleans never runs two activations of a grain, so there is no other
/// writer to detect. Not for a cluster: another silo can't see these objects.
/// </summary>
public sealed class InMemoryOfferStore : IGrainStorage, IOfferCatalog
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, OfferState> _offers = [];
    private readonly Dictionary<string, HashSet<string>> _byOwner = [];
    private readonly Dictionary<string, HashSet<string>> _byAnswerer = [];
    private readonly Dictionary<string, HashSet<string>> _byTopic = [];

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        lock (_lock)
        {
            if (_offers.TryGetValue(KeyOf(grainId), out var stored))
            {
                grainState.State = (T)(object)stored;
                grainState.RecordExists = true;
            }
        }
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var state = grainState.State as OfferState
            ?? throw new NotSupportedException($"{nameof(InMemoryOfferStore)} stores offers only, not {typeof(T).Name}");
        var id = KeyOf(grainId);
        lock (_lock)
        {
            if (!_offers.TryGetValue(id, out var previous))
            {
                Store(id, state);
            }
            else if (previous.PeerId == state.PeerId && previous.AnswererPeerId == state.AnswererPeerId && previous.Topics == state.Topics)
            {
                // Most writes (candidates, heartbeats) change nothing the indexes hold.
                _offers[id] = state;
            }
            else
            {
                Unindex(id, previous);
                Store(id, state);
            }
        }
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task AddAsync(string id, OfferState state)
    {
        lock (_lock)
        {
            if (_offers.ContainsKey(id))
            {
                throw new InvalidOperationException($"Offer {id} already exists");
            }
            Store(id, state);
        }
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var id = KeyOf(grainId);
        lock (_lock)
        {
            if (_offers.Remove(id, out var previous))
            {
                Unindex(id, previous);
            }
        }
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<StoredOffer>> OwnedByAsync(string peerId) => Task.FromResult(Lookup(_byOwner, peerId, _ => true));

    public Task<IReadOnlyList<StoredOffer>> AnsweredByAsync(string peerId) => Task.FromResult(Lookup(_byAnswerer, peerId, _ => true));

    public Task<IReadOnlyList<StoredOffer>> ListedInAsync(string topic) =>
        Task.FromResult(Lookup(_byTopic, topic, state => state.AnswererPeerId is null));

    public Task<IReadOnlyList<TopicTally>> TopicsAsync(long now)
    {
        lock (_lock)
        {
            var tallies = new List<TopicTally>();
            foreach (var (topic, ids) in _byTopic)
            {
                var listed = ids.Select(id => _offers[id]).Where(state => state.IsListedAt(now)).ToList();
                if (listed.Count > 0)
                {
                    tallies.Add(new TopicTally(topic, listed.Select(s => s.PeerId).Distinct().Count(), listed.Min(s => s.ExpiresAt)));
                }
            }
            return Task.FromResult<IReadOnlyList<TopicTally>>(tallies);
        }
    }

    public Task<IReadOnlyList<string>> ExpiredAsync(long now, int limit)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<string>>(
                _offers.Where(o => !o.Value.IsLiveAt(now)).Take(limit).Select(o => o.Key).ToList());
        }
    }

    private IReadOnlyList<StoredOffer> Lookup(Dictionary<string, HashSet<string>> index, string key, Func<OfferState, bool> include)
    {
        lock (_lock)
        {
            return index.TryGetValue(key, out var ids)
                ? ids.Select(id => new StoredOffer(id, _offers[id])).Where(o => include(o.State)).ToList()
                : [];
        }
    }

    private void Store(string id, OfferState state)
    {
        _offers[id] = state;
        Add(_byOwner, state.PeerId, id);
        if (state.AnswererPeerId is { } answerer) Add(_byAnswerer, answerer, id);
        foreach (var topic in state.Topics) Add(_byTopic, topic, id);
    }

    private void Unindex(string id, OfferState state)
    {
        Remove(_byOwner, state.PeerId, id);
        if (state.AnswererPeerId is { } answerer) Remove(_byAnswerer, answerer, id);
        foreach (var topic in state.Topics) Remove(_byTopic, topic, id);
    }

    private static void Add(Dictionary<string, HashSet<string>> index, string key, string id)
    {
        if (!index.TryGetValue(key, out var ids))
        {
            index[key] = ids = [];
        }
        ids.Add(id);
    }

    private static void Remove(Dictionary<string, HashSet<string>> index, string key, string id)
    {
        if (index.TryGetValue(key, out var ids) && ids.Remove(id) && ids.Count == 0)
        {
            index.Remove(key);
        }
    }

    private static string KeyOf(GrainId grainId) => grainId.Key.ToString()!;
}
