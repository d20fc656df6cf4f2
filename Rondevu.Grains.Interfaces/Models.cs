namespace Rondevu.Grains;

/// <summary>A validated offer as the gateway hands it to a peer's grain; TTL already resolved and clamped.</summary>
[GenerateSerializer, Immutable, Alias("Rondevu.OfferDraft")]
public sealed record OfferDraft(
    [property: Id(0)] Utf8Text Sdp,
    [property: Id(1)] string[] Topics,
    [property: Id(2)] long TtlMs,
    [property: Id(3)] string? Secret,
    [property: Id(4)] string? Info)
{
    /// <summary>Runtime traces print messages: a secret must never be in them.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Topics = [{string.Join(", ", Topics)}], TtlMs = {TtlMs}, HasSecret = {Secret is not null}, SdpBytes = {Sdp.Length}");
        return true;
    }
}

/// <summary>One offer as its owner sees it (publish, <c>GET /offers/mine</c>): the secret included.</summary>
[GenerateSerializer, Immutable, Alias("Rondevu.OfferView")]
public sealed record OfferView(
    [property: Id(0)] string Id,
    [property: Id(1)] string PeerId,
    [property: Id(2)] Utf8Text Sdp,
    [property: Id(3)] string[] Topics,
    [property: Id(4)] long CreatedAt,
    [property: Id(5)] long ExpiresAt,
    [property: Id(6)] long LastSeen,
    [property: Id(7)] string? Secret,
    [property: Id(8)] string? Info,
    [property: Id(9)] string? AnswererPeerId,
    [property: Id(10)] long? AnsweredAt)
{
    /// <summary>Runtime traces print messages: a secret must never be in them.</summary>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"Id = {Id}, PeerId = {PeerId}, Topics = [{string.Join(", ", Topics)}], ExpiresAt = {ExpiresAt}, HasSecret = {Secret is not null}, AnswererPeerId = {AnswererPeerId}");
        return true;
    }
}

/// <summary>One offer as anyone sees it (<c>GET /peers/{id}/offers</c>): whether it has a secret, never the secret.</summary>
[GenerateSerializer, Immutable, Alias("Rondevu.PublicOfferView")]
public sealed record PublicOfferView(
    [property: Id(0)] string Id,
    [property: Id(1)] Utf8Text Sdp,
    [property: Id(2)] string[] Topics,
    [property: Id(3)] long ExpiresAt,
    [property: Id(4)] long LastSeen,
    [property: Id(5)] bool HasSecret,
    [property: Id(6)] string? Info);

/// <summary>What a topic keeps of a live, unanswered offer: exactly what discovery returns.</summary>
[GenerateSerializer, Immutable, Alias("Rondevu.TopicEntry")]
public sealed record TopicEntry(
    [property: Id(0)] string OfferId,
    [property: Id(1)] string PeerId,
    [property: Id(2)] Utf8Text Sdp,
    [property: Id(3)] string[] Topics,
    [property: Id(4)] long ExpiresAt,
    [property: Id(5)] long LastSeen,
    [property: Id(6)] bool HasSecret,
    [property: Id(7)] string? Info);

[GenerateSerializer, Immutable, Alias("Rondevu.DiscoveryPage")]
public sealed record DiscoveryPage(
    [property: Id(0)] TopicEntry[] Offers,
    [property: Id(1)] int Total);

[GenerateSerializer, Immutable, Alias("Rondevu.TopicCount")]
public sealed record TopicCount(
    [property: Id(0)] string Topic,
    [property: Id(1)] int ActivePeers);

[GenerateSerializer, Immutable, Alias("Rondevu.TopicPage")]
public sealed record TopicPage(
    [property: Id(0)] TopicCount[] Topics,
    [property: Id(1)] int Total);

/// <summary>An answer as the offerer's mailbox holds it; <see cref="DeliveredAt"/> is the mailbox's own cursor clock.</summary>
[GenerateSerializer, Immutable, Alias("Rondevu.AnswerNotice")]
public sealed record AnswerNotice(
    [property: Id(0)] string OfferId,
    [property: Id(1)] string AnswererId,
    [property: Id(2)] Utf8Text Sdp,
    [property: Id(3)] long AnsweredAt,
    [property: Id(4)] string[] Topics,
    [property: Id(5)] long ExpiresAt,
    [property: Id(6)] long DeliveredAt = 0);

/// <summary>A candidate from the other side of one of the peer's offers, as a poll returns it.</summary>
[GenerateSerializer, Immutable, Alias("Rondevu.PolledCandidate")]
public sealed record PolledCandidate(
    [property: Id(0)] string OfferId,
    [property: Id(1)] IceCandidate Candidate);

[GenerateSerializer, Alias("Rondevu.WaitStatus")]
public enum WaitStatus
{
    /// <summary>There is news (possibly at once, without waiting).</summary>
    Ready = 0,
    TimedOut = 1,
    /// <summary>The peer already holds MAX_WAITERS_PER_PEER waiting requests.</summary>
    TooManyWaiters = 2,
}

[GenerateSerializer, Immutable, Alias("Rondevu.AnswersWait")]
public sealed record AnswersWait(
    [property: Id(0)] WaitStatus Status,
    [property: Id(1)] AnswerNotice[] Answers);

/// <summary>Everything a peer waits for, newer than the cursor; <see cref="Timestamp"/> is the next cursor.</summary>
[GenerateSerializer, Immutable, Alias("Rondevu.PollPage")]
public sealed record PollPage(
    [property: Id(0)] WaitStatus Status,
    [property: Id(1)] AnswerNotice[] Answers,
    [property: Id(2)] PolledCandidate[] Candidates,
    [property: Id(3)] long Timestamp);

/// <summary>One ICE candidate; <see cref="Json"/> is the exact JSON text the client sent.</summary>
[GenerateSerializer, Immutable, Alias("Rondevu.IceCandidate")]
public sealed record IceCandidate(
    [property: Id(0)] string Json,
    [property: Id(1)] string PeerId,
    [property: Id(2)] IceRole Role,
    [property: Id(3)] long CreatedAt);

[GenerateSerializer, Alias("Rondevu.IceRole")]
public enum IceRole
{
    Offerer = 0,
    Answerer = 1,
}

/// <summary>How an offer grain judged a request; the gateway maps each to an HTTP status.</summary>
[GenerateSerializer, Alias("Rondevu.OfferOutcome")]
public enum OfferOutcome
{
    Ok = 0,
    NotFound = 1,
    AlreadyAnswered = 2,
    WrongSecret = 3,
    OwnOffer = 4,
    NotParticipant = 5,
    CandidateLimit = 6,
}

[GenerateSerializer, Immutable, Alias("Rondevu.AnswerResult")]
public sealed record AnswerResult(
    [property: Id(0)] OfferOutcome Outcome,
    [property: Id(1)] long AnsweredAt);

[GenerateSerializer, Immutable, Alias("Rondevu.CandidatesAdded")]
public sealed record CandidatesAdded(
    [property: Id(0)] OfferOutcome Outcome,
    [property: Id(1)] int Added);

[GenerateSerializer, Immutable, Alias("Rondevu.CandidatesRead")]
public sealed record CandidatesRead(
    [property: Id(0)] OfferOutcome Outcome,
    [property: Id(1)] IceCandidate[] Candidates);

[GenerateSerializer, Immutable, Alias("Rondevu.PublishResult")]
public sealed record PublishResult(
    [property: Id(0)] bool PeerLimitReached,
    [property: Id(1)] OfferView[] Offers);
