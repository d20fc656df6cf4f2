using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Rondevu.Grains;

/// <summary>The original server's limits, bound from environment variables of the same names.</summary>
public sealed class RondevuOptions
{
    [ConfigurationKeyName("OFFER_DEFAULT_TTL")] public long OfferDefaultTtl { get; set; } = 60_000;
    [ConfigurationKeyName("OFFER_MIN_TTL")] public long OfferMinTtl { get; set; } = 60_000;
    [ConfigurationKeyName("OFFER_MAX_TTL")] public long OfferMaxTtl { get; set; } = 86_400_000;
    [ConfigurationKeyName("ANSWERED_OFFER_TTL")] public long AnsweredOfferTtl { get; set; } = 60_000;
    [ConfigurationKeyName("MAX_OFFERS_PER_REQUEST")] public int MaxOffersPerRequest { get; set; } = 100;
    [ConfigurationKeyName("MAX_TOPICS_PER_OFFER")] public int MaxTopicsPerOffer { get; set; } = 50;
    [ConfigurationKeyName("MAX_SDP_SIZE")] public int MaxSdpSize { get; set; } = 65_536;
    [ConfigurationKeyName("MAX_CANDIDATES_PER_REQUEST")] public int MaxCandidatesPerRequest { get; set; } = 100;
    [ConfigurationKeyName("MAX_CANDIDATE_SIZE")] public int MaxCandidateSize { get; set; } = 4096;
    [ConfigurationKeyName("MAX_ICE_CANDIDATES_PER_OFFER")] public int MaxIceCandidatesPerOffer { get; set; } = 50;
    [ConfigurationKeyName("MAX_OFFERS_PER_PEER")] public int MaxOffersPerPeer { get; set; } = 1000;
    [ConfigurationKeyName("MAX_WAITERS_PER_PEER")] public int MaxWaitersPerPeer { get; set; } = 4;
}

/// <summary>Stops the process at start with a message naming the variable that is out of range.</summary>
public sealed class RondevuOptionsValidator : IValidateOptions<RondevuOptions>
{
    public ValidateOptionsResult Validate(string? name, RondevuOptions o)
    {
        var errors = new List<string>();
        void Positive(long value, string variable)
        {
            if (value <= 0) errors.Add($"{variable} must be a positive integer (got {value})");
        }

        Positive(o.OfferMinTtl, "OFFER_MIN_TTL");
        Positive(o.OfferMaxTtl, "OFFER_MAX_TTL");
        Positive(o.OfferDefaultTtl, "OFFER_DEFAULT_TTL");
        Positive(o.AnsweredOfferTtl, "ANSWERED_OFFER_TTL");
        Positive(o.MaxOffersPerRequest, "MAX_OFFERS_PER_REQUEST");
        Positive(o.MaxTopicsPerOffer, "MAX_TOPICS_PER_OFFER");
        Positive(o.MaxSdpSize, "MAX_SDP_SIZE");
        Positive(o.MaxCandidatesPerRequest, "MAX_CANDIDATES_PER_REQUEST");
        Positive(o.MaxCandidateSize, "MAX_CANDIDATE_SIZE");
        Positive(o.MaxIceCandidatesPerOffer, "MAX_ICE_CANDIDATES_PER_OFFER");
        Positive(o.MaxOffersPerPeer, "MAX_OFFERS_PER_PEER");
        Positive(o.MaxWaitersPerPeer, "MAX_WAITERS_PER_PEER");
        if (o.OfferMinTtl > o.OfferMaxTtl)
        {
            errors.Add($"OFFER_MIN_TTL ({o.OfferMinTtl}) must not exceed OFFER_MAX_TTL ({o.OfferMaxTtl})");
        }
        if (o.OfferDefaultTtl < o.OfferMinTtl || o.OfferDefaultTtl > o.OfferMaxTtl)
        {
            errors.Add($"OFFER_DEFAULT_TTL ({o.OfferDefaultTtl}) must lie between OFFER_MIN_TTL and OFFER_MAX_TTL");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
