using System.Diagnostics.Metrics;

namespace Rondevu.Grains;

/// <summary>Rondevu's own instruments. Each silo counts what its grains did; a scrape of every silo sums to the cluster.</summary>
public static class RondevuMetrics
{
    public const string MeterName = "Rondevu";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> OffersCreated = Meter.CreateCounter<long>("rondevu.offers.created", "{offer}");
    public static readonly Counter<long> OffersAnswered = Meter.CreateCounter<long>("rondevu.offers.answered", "{offer}", "Offers answered: handshakes started");
    public static readonly Counter<long> OffersExpired = Meter.CreateCounter<long>("rondevu.offers.expired", "{offer}");
    public static readonly Counter<long> OffersDeleted = Meter.CreateCounter<long>("rondevu.offers.deleted", "{offer}");
    public static readonly Counter<long> CandidatesPosted = Meter.CreateCounter<long>("rondevu.ice_candidates.posted", "{candidate}");
    public static readonly UpDownCounter<long> ActiveOffers = Meter.CreateUpDownCounter<long>("rondevu.offers.active", "{offer}");
    public static readonly UpDownCounter<long> ActiveTopics = Meter.CreateUpDownCounter<long>("rondevu.topics.active", "{topic}");
    public static readonly UpDownCounter<long> WaitingPolls = Meter.CreateUpDownCounter<long>("rondevu.polls.waiting", "{request}");
}
