using System.Diagnostics.Metrics;

namespace Rondevu.Grains;

/// <summary>Rondevu's own instruments, from the host's <see cref="IMeterFactory"/>, so each host (and each test's
/// host) counts only what its own grains did. Each silo counts its grains; a scrape of every silo sums to the cluster.</summary>
public sealed class RondevuMetrics
{
    public const string MeterName = "Rondevu";

    public RondevuMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        OffersCreated = meter.CreateCounter<long>("rondevu.offers.created", "{offer}");
        OffersAnswered = meter.CreateCounter<long>("rondevu.offers.answered", "{offer}", "Offers answered: handshakes started");
        OffersExpired = meter.CreateCounter<long>("rondevu.offers.expired", "{offer}");
        OffersDeleted = meter.CreateCounter<long>("rondevu.offers.deleted", "{offer}");
        CandidatesPosted = meter.CreateCounter<long>("rondevu.ice_candidates.posted", "{candidate}");
        ActiveOffers = meter.CreateUpDownCounter<long>("rondevu.offers.active", "{offer}");
        ActiveTopics = meter.CreateUpDownCounter<long>("rondevu.topics.active", "{topic}");
        WaitingPolls = meter.CreateUpDownCounter<long>("rondevu.polls.waiting", "{request}");
    }

    public Counter<long> OffersCreated { get; }
    public Counter<long> OffersAnswered { get; }
    public Counter<long> OffersExpired { get; }
    public Counter<long> OffersDeleted { get; }
    public Counter<long> CandidatesPosted { get; }
    public UpDownCounter<long> ActiveOffers { get; }
    public UpDownCounter<long> ActiveTopics { get; }
    public UpDownCounter<long> WaitingPolls { get; }
}
