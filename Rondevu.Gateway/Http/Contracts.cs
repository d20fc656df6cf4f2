using System.Text.Json.Serialization;
using Rondevu.Grains;

namespace Rondevu.Gateway.Http;

public sealed record InfoResponse(string Version, string Name, string Description);
public sealed record HealthResponse(string Status, long Timestamp, string Version);
public sealed record RegisterResponse(string PeerId, string Secret);

public sealed record CreatedOffer(string Id, string PeerId, string[] Topics, long ExpiresAt);
public sealed record CreateOffersResponse(CreatedOffer[] Offers);

/// <summary>An offer as anyone may see it: never its secret.</summary>
public sealed record PublicOffer(string Id, string PeerId, [property: JsonConverter(typeof(Utf8TextJsonConverter))] Utf8Text Sdp, string[] Topics, long ExpiresAt, long LastSeen, bool HasSecret, string? Info)
{
    public static PublicOffer From(TopicEntry e) => new(e.OfferId, e.PeerId, e.Sdp, e.Topics, e.ExpiresAt, e.LastSeen, e.HasSecret, e.Info);
}

public sealed record PeerOffer(string Id, [property: JsonConverter(typeof(Utf8TextJsonConverter))] Utf8Text Sdp, string[] Topics, long ExpiresAt, long LastSeen, bool HasSecret, string? Info)
{
    public static PeerOffer From(PublicOfferView o) => new(o.Id, o.Sdp, o.Topics, o.ExpiresAt, o.LastSeen, o.HasSecret, o.Info);
}

/// <summary>An offer as its owner sees it, secret included.</summary>
public sealed record OwnOffer(
    string Id, [property: JsonConverter(typeof(Utf8TextJsonConverter))] Utf8Text Sdp, string[] Topics, long CreatedAt, long ExpiresAt, long LastSeen,
    string? Secret, string? Info, string? AnswererPeerId, long? AnsweredAt)
{
    public static OwnOffer From(OfferView o) =>
        new(o.Id, o.Sdp, o.Topics, o.CreatedAt, o.ExpiresAt, o.LastSeen, o.Secret, o.Info, o.AnswererPeerId, o.AnsweredAt);
}

public sealed record DiscoveryResponse(string Topic, PublicOffer[] Offers, int Total, int Returned);
public sealed record TopicSummary(string Topic, int ActivePeers);
public sealed record TopicsResponse(TopicSummary[] Topics, int Total, int Limit, int Offset, string? StartsWith);
public sealed record PeerOffersResponse(string PeerId, PeerOffer[] Offers, string[] Topics);
public sealed record MyOffersResponse(string PeerId, OwnOffer[] Offers);
public sealed record HeartbeatResponse(string OfferId, long LastSeen);
public sealed record DeleteResponse(bool Deleted);

public sealed record AnswerResponse(string OfferId, string AnswererId, long AnsweredAt);

public sealed record AnswerItem(string OfferId, string AnswererId, [property: JsonConverter(typeof(Utf8TextJsonConverter))] Utf8Text Sdp, long AnsweredAt, string[] Topics)
{
    public static AnswerItem From(AnswerNotice a) => new(a.OfferId, a.AnswererId, a.Sdp, a.AnsweredAt, a.Topics);
}

public sealed record AnswersResponse(AnswerItem[] Answers);

public sealed record CandidatesAddedResponse(string OfferId, int CandidatesAdded);

public sealed record CandidateItem(RawJson Candidate, string PeerId, string Role, long CreatedAt)
{
    public static CandidateItem From(IceCandidate c) =>
        new(new RawJson(c.Json), c.PeerId, RoleName(c.Role), c.CreatedAt);

    public static string RoleName(IceRole role) => role == IceRole.Offerer ? "offerer" : "answerer";
}

public sealed record CandidatesResponse(string OfferId, CandidateItem[] Candidates);

public sealed record PolledCandidateItem(string OfferId, RawJson Candidate, string PeerId, string Role, long CreatedAt)
{
    public static PolledCandidateItem From(PolledCandidate p) =>
        new(p.OfferId, new RawJson(p.Candidate.Json), p.Candidate.PeerId, CandidateItem.RoleName(p.Candidate.Role), p.Candidate.CreatedAt);
}

public sealed record PollResponse(AnswerItem[] Answers, PolledCandidateItem[] IceCandidates, long Timestamp);
