using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Rondevu.Grains;

namespace Rondevu.Gateway.Http;

/// <summary>
/// The JSON request bodies, as the OpenAPI document shows them. <see cref="RequestValidation"/> reads the bodies
/// itself so that every mistake gets its own 400 message; fixed limits come from its constants, and the
/// configurable ones from <see cref="RondevuOptions"/> as this deployment set them (<see cref="LimitedByAttribute"/>).
/// </summary>
public static class RequestBodies
{
    /// <summary>The <see cref="RondevuOptions"/> property that bounds a field: a string's length, an array's items.</summary>
    [AttributeUsage(AttributeTargets.Property)]
    public sealed class LimitedByAttribute(string option) : Attribute
    {
        public int ValueIn(RondevuOptions limits) => Convert.ToInt32(typeof(RondevuOptions).GetProperty(option)!.GetValue(limits));
    }

    [Description("Offers to publish, all-or-nothing.")]
    public sealed record PublishOffersRequest(
        [property: Description("1 to MAX_OFFERS_PER_REQUEST offers."), MinLength(1),
            LimitedBy(nameof(RondevuOptions.MaxOffersPerRequest))] OfferInput[] Offers);

    public sealed record OfferInput(
        [property: Description("The offer's SDP: a non-empty string of at most MAX_SDP_SIZE characters."), MinLength(1),
            LimitedBy(nameof(RondevuOptions.MaxSdpSize))] string Sdp,
        [property: Description("1 to MAX_TOPICS_PER_OFFER topics, each a string of 1 to 256 characters; duplicates count once."), MinLength(1),
            LimitedBy(nameof(RondevuOptions.MaxTopicsPerOffer))] string[] Topics,
        [property: Description("Time to live in ms: absent, null or 0 → OFFER_DEFAULT_TTL; otherwise clamped to [OFFER_MIN_TTL, OFFER_MAX_TTL].")] long? Ttl,
        [property: Description("Optional password an answerer must send; empty means none."), MaxLength(RequestValidation.MaxSecretLength)] string? Secret,
        [property: Description("Optional public text shown to discoverers."), MaxLength(RequestValidation.MaxInfoLength)] string? Info);

    public sealed record AnswerRequest(
        [property: Description("The answer's SDP: a non-empty string of at most MAX_SDP_SIZE characters."), MinLength(1),
            LimitedBy(nameof(RondevuOptions.MaxSdpSize))] string Sdp,
        [property: Description("The offer's secret, when it has one."), MaxLength(RequestValidation.MaxSecretLength)] string? Secret);

    public sealed record IceCandidatesRequest(
        [property: Description("1 to MAX_CANDIDATES_PER_REQUEST candidates, any JSON (typically RTCIceCandidate.toJSON()), " +
            "each at most MAX_CANDIDATE_SIZE UTF-8 bytes and nesting depth 10; stored and returned verbatim."), MinLength(1),
            LimitedBy(nameof(RondevuOptions.MaxCandidatesPerRequest))]
        JsonElement[] Candidates);
}
