namespace Rondevu.Grains;

/// <summary>One offer (key: offer id): the source of truth for its answer, candidates and lifetime. Its owner's
/// peer grain stores the new offer's record; this grain activates from it when the offer is first used.</summary>
[Alias("Rondevu.IOfferGrain")]
public interface IOfferGrain : IGrainWithStringKey
{
    /// <summary>The live offer, or null when it never existed, expired or was deleted.</summary>
    [Alias("Get")]
    Task<OfferView?> GetAsync();

    [Alias("Answer")]
    Task<AnswerResult> AnswerAsync(string answererId, Utf8Text sdp, string? secret);

    /// <remarks>The array is <c>[Immutable]</c> (neither side changes it after the call) so that a grain reference
    /// has no array copier to resolve when it is created, once per request (1.6% of the single process's CPU, perf).</remarks>
    [Alias("AddCandidates")]
    Task<CandidatesAdded> AddCandidatesAsync(string peerId, [Immutable] string[] candidates);

    /// <summary>The other side's candidates for <paramref name="peerId"/>, oldest first, newer than <paramref name="since"/>.</summary>
    [Alias("GetCandidates")]
    Task<CandidatesRead> GetCandidatesAsync(string peerId, long? since);

    /// <summary>Sets lastSeen to now; null when the offer is not live or not the caller's.</summary>
    [Alias("Heartbeat")]
    Task<long?> HeartbeatAsync(string peerId);

    /// <summary>Removes the offer and every trace of it; false when it is not live or not the caller's.</summary>
    [Alias("Delete")]
    Task<bool> DeleteAsync(string peerId);

    /// <summary>Removes the offer and every trace of it if its time is up; its owner's sweep calls this.
    /// True when the offer is gone (now or before), false while it is still live.</summary>
    [Alias("Expire")]
    Task<bool> ExpireAsync();
}
