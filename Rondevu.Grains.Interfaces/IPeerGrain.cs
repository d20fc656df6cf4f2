namespace Rondevu.Grains;

/// <summary>
/// One peer (key: peer id), as the gateway sees it: the index of its offers and its mailbox — the
/// answers to its offers and the other side's candidates on every offer it owns or answered — where
/// its push requests wait. It persists nothing of its own: an activation rebuilds all of it from the
/// offers' records. Offer grains feed it through <see cref="IPeerInbox"/>.
/// </summary>
[Alias("Rondevu.IPeerGrain")]
public interface IPeerGrain : IGrainWithStringKey
{
    /// <summary>Creates all offers or none: refused whole when it would pass the per-peer cap.</summary>
    /// <remarks>Array parameters here are <c>[Immutable]</c> (neither side changes them after the call) so that a grain
    /// reference has no array copier to resolve when it is created (see <see cref="IOfferGrain.AddCandidatesAsync"/>).</remarks>
    [Alias("Publish")]
    Task<PublishResult> PublishAsync([Immutable] OfferDraft[] drafts);

    /// <summary>The peer's live offers with everything the owner may see, answered ones included, newest lastSeen first.</summary>
    [Alias("GetOffers")]
    Task<OfferView[]> GetOffersAsync();

    /// <summary>The peer's live offers as anyone may see them (no secret), answered ones included, newest lastSeen first.</summary>
    [Alias("GetPublicOffers")]
    Task<PublicOfferView[]> GetPublicOffersAsync();

    /// <summary>Answers to the peer's live offers, answered after <paramref name="since"/> when given.</summary>
    [Alias("GetAnswers")]
    Task<AnswerNotice[]> GetAnswersAsync(long? since);

    /// <summary>Like <see cref="GetAnswersAsync"/>, but holds the call up to <paramref name="wait"/> until one exists.</summary>
    [Alias("WaitForAnswers")]
    Task<AnswersWait> WaitForAnswersAsync(long? since, TimeSpan wait, CancellationToken cancellationToken);

    /// <summary>Holds the call up to <paramref name="wait"/> until the other side of <paramref name="offerId"/> has a candidate created after <paramref name="since"/>.</summary>
    [Alias("WaitForCandidates")]
    Task<WaitStatus> WaitForCandidatesAsync(string offerId, long? since, TimeSpan wait, CancellationToken cancellationToken);

    /// <summary>Answers and the other side's candidates delivered after the cursor <paramref name="since"/>, waiting up to <paramref name="wait"/> for some.</summary>
    [Alias("Poll")]
    Task<PollPage> PollAsync(long? since, TimeSpan wait, CancellationToken cancellationToken);
}

/// <summary>What offer grains tell a peer (key: peer id) about the offers it owns or answered; implemented by the same grain as <see cref="IPeerGrain"/>.</summary>
/// <remarks>Its candidate arrays are <c>[Immutable]</c> for the reason given on <see cref="IPeerGrain.PublishAsync"/>.</remarks>
[Alias("Rondevu.IPeerInbox")]
public interface IPeerInbox : IGrainWithStringKey
{
    [Alias("OfferAnswered")]
    Task OfferAnsweredAsync(AnswerNotice answer);

    /// <summary>The peer answered <paramref name="offerId"/>: from now on its mailbox receives the offerer's candidates.</summary>
    [Alias("OfferJoined")]
    Task OfferJoinedAsync(string offerId, long expiresAt, [Immutable] IceCandidate[] offererCandidates);

    [Alias("CandidatesPosted")]
    Task CandidatesPostedAsync(string offerId, [Immutable] IceCandidate[] candidates);

    /// <summary>The owner's heartbeat moved the offer's lastSeen.</summary>
    [Alias("OfferTouched")]
    Task OfferTouchedAsync(string offerId, long lastSeen);

    [Alias("OfferRemoved")]
    Task OfferRemovedAsync(string offerId);
}
