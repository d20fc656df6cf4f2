using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;
using Rondevu.Grains;

namespace Rondevu.Tests.Grains;

[CollectionDefinition(Name)]
public sealed class GrainClusterCollection : ICollectionFixture<GrainClusterFixture>
{
    public const string Name = "grain cluster";
}

/// <summary>
/// Two in-process silos (in-memory transport, so nothing listens on a socket) sharing one in-memory
/// offer store, as silos share a database, behind <see cref="LateSerializingStorage"/>; in-memory
/// reminders, and a clock that moves only when a test moves it (<see cref="Clock"/>).
/// </summary>
public sealed class GrainClusterFixture : IAsyncLifetime
{
    public const int MaxOffersPerPeer = 5;
    public const int MaxIceCandidatesPerOffer = 50;
    public const int MaxWaitersPerPeer = 4;
    /// <summary>Shorter than the offers' own TTLs, so answering shortens an offer's life.</summary>
    public const long AnsweredOfferTtl = 3_000;
    /// <summary>The TTL tests use when the offer must not expire during the test.</summary>
    public const long LongTtl = 120_000;

    public static readonly IReadOnlyDictionary<string, string?> Settings = new Dictionary<string, string?>
    {
        ["OFFER_MIN_TTL"] = "1000",
        ["OFFER_DEFAULT_TTL"] = "2000",
        ["ANSWERED_OFFER_TTL"] = AnsweredOfferTtl.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["MAX_OFFERS_PER_PEER"] = MaxOffersPerPeer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["MAX_ICE_CANDIDATES_PER_OFFER"] = MaxIceCandidatesPerOffer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["MAX_WAITERS_PER_PEER"] = MaxWaitersPerPeer.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(2);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        await WarmUpAsync();
    }

    /// <summary>One pass through every grain, so no test pays the first call's start-up cost inside a short TTL.</summary>
    private async Task WarmUpAsync()
    {
        var peer = Ids.New();
        var topic = UniqueTopic("warm-up");
        var offer = await PublishOneAsync(peer, [topic]);
        await Offer(offer.Id).GetAsync();
        await Topic(topic).DiscoverAsync(1, null);
        await AllTopicsAsync(topic);
        await Offer(offer.Id).AnswerAsync(Ids.New(), "answer", null);
        await Offer(offer.Id).AddCandidatesAsync(peer, ["{}"]);
        await Offer(offer.Id).DeleteAsync(peer);
        await IsStoredAsync(offer.Id);
        // The sweep registers its reminder in the background once the silos have started (SweepStarter), retrying
        // while the cluster forms: on a busy machine that can take a few of its attempts.
        await Eventually(async () => await RemindersOfAsync(Grains.GetGrain<IOfferSweeperGrain>(0)) == 1,
            TimeSpan.FromSeconds(90), "the sweeper's reminder");
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
    }

    public IPeerGrain Peer(string peerId) => Grains.GetPeerGrain(peerId);
    public IOfferGrain Offer(string offerId) => Grains.GetOfferGrain(offerId);
    public ITopicGrain Topic(string topic) => Grains.GetTopicGrain(topic);
    public ITopicIndexGrain IndexShard(int shard) => Grains.GetGrain<ITopicIndexGrain>(shard);

    /// <summary>Publishes one offer and returns it; fails the test when the peer cap refuses it.</summary>
    public async Task<OfferView> PublishOneAsync(
        string peerId, string[] topics, long ttlMs = LongTtl, string? secret = null, string? info = null, string? sdp = null)
    {
        var result = await Peer(peerId).PublishAsync([new OfferDraft(sdp ?? $"v=0 sdp of {peerId}", topics, ttlMs, secret, info)]);
        Assert.False(result.PeerLimitReached);
        return Assert.Single(result.Offers);
    }

    /// <summary>Every shard's matches for the prefix, merged the way the gateway merges them.</summary>
    public async Task<(TopicCount[] Topics, int Total)> AllTopicsAsync(string startsWith)
    {
        var pages = await Task.WhenAll(Enumerable.Range(0, TopicShards.Count)
            .Select(shard => IndexShard(shard).TopAsync(10_000, startsWith)));
        var merged = pages.SelectMany(p => p.Topics)
            .OrderByDescending(t => t.ActivePeers)
            .ThenBy(t => t.Topic, StringComparer.Ordinal)
            .ToArray();
        return (merged, pages.Sum(p => p.Total));
    }

    /// <summary>What the topic's index shard says about exactly this topic (null when it is not listed).</summary>
    public async Task<int?> IndexedPeersAsync(string topic)
    {
        var page = await IndexShard(TopicShards.Of(topic)).TopAsync(10_000, topic);
        return page.Topics.FirstOrDefault(t => t.Topic == topic)?.ActivePeers;
    }

    /// <summary>The offers' store both silos write to, and the catalog the peer and topic grains rebuild from.</summary>
    public static InMemoryOfferStore Store { get; } = new();

    /// <summary>How many reminders the grain has in the silo's reminder table.</summary>
    public async Task<int> RemindersOfAsync(IAddressable grain)
    {
        var silo = Assert.IsType<InProcessSiloHandle>(Cluster.Primary);
        var rows = await silo.ServiceProvider.GetRequiredService<IReminderTable>().ReadRows(grain.GetGrainId());
        return rows.Reminders.Count;
    }

    /// <summary>Whether the offer's record is stored, read straight from the store, bypassing the grain.</summary>
    public static async Task<bool> IsStoredAsync(string offerId)
    {
        var state = new GrainState<OfferState>();
        await Store.ReadStateAsync("offer", GrainId.Create("offer", offerId), state);
        return state.RecordExists;
    }

    /// <summary>
    /// The grains' clock and the one their timers run on: it stands still unless a test advances it, so
    /// expiry happens exactly when a test says and never because the machine was slow. Orleans' own
    /// background areas (membership, messaging, reminders, activation collection) stay on real time.
    /// </summary>
    public static FakeTimeProvider Clock { get; } = new(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));

    public static long Now => Clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Moves the clock forward to <paramref name="unixMs"/>, firing the grain timers due by then.</summary>
    public static void AdvanceTo(long unixMs) => Clock.SetUtcNow(DateTimeOffset.FromUnixTimeMilliseconds(unixMs));

    public static ParkedWaits ParkedWaits { get; } = new();

    /// <summary>The catalog the silos query, able to hide expired offers from the sweep (see <see cref="SweepGate"/>).</summary>
    public static SweepGate Catalog { get; } = new(Store);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> at the deadline.</summary>
    public static Task Eventually(Func<Task<bool>> condition, TimeSpan timeout, string what) =>
        Eventually(condition, timeout, () => what);

    /// <summary>As above, with a failure message built at the deadline (to show what was still wrong).</summary>
    public static async Task Eventually(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0.#} s waiting for: {what()}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>A topic name no other test uses, so the shared topic index can be asserted exactly.</summary>
    public static string UniqueTopic(string label) => $"{label}-{Guid.NewGuid():N}";

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();
            siloBuilder
                .AddRondevuOfferStore(_ => Store)
                .UseInMemoryReminderService()
                .AddRondevuGrains(configuration);
            // Registered last, so the grains get the late-serializing storage and the gated catalog.
            siloBuilder.Services.AddKeyedSingleton<IGrainStorage>(RondevuSiloExtensions.StorageName,
                (services, _) => new LateSerializingStorage(Store, services.GetRequiredService<Serializer>()));
            siloBuilder.Services.AddSingleton<IOfferCatalog>(Catalog);
            siloBuilder.Services.AddSingleton<TimeProvider>(Clock);
            siloBuilder.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
            siloBuilder.Services.AddSingleton<IIncomingGrainCallFilter>(ParkedWaits);
        }
    }
}
