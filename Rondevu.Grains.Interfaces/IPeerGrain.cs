namespace Rondevu.Grains;

/// <summary>One peer (key: peer id): the index of its offers and the mailbox of their answers.</summary>
[Alias("Rondevu.IPeerGrain")]
public interface IPeerGrain : IGrainWithStringKey
{
    /// <summary>Creates all offers or none: refused whole when it would pass the per-peer cap.</summary>
    [Alias("Publish")]
    Task<PublishResult> PublishAsync(OfferDraft[] drafts);

    /// <summary>The peer's live offers, answered ones included, newest lastSeen first.</summary>
    [Alias("GetOffers")]
    Task<OfferView[]> GetOffersAsync();

    /// <summary>Answers to the peer's live offers, newer than <paramref name="since"/> when given.</summary>
    [Alias("GetAnswers")]
    Task<AnswerNotice[]> GetAnswersAsync(long? since);

    [Alias("OfferAnswered")]
    Task OfferAnsweredAsync(AnswerNotice answer);

    [Alias("OfferRemoved")]
    Task OfferRemovedAsync(string offerId);
}
