using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Rondevu.Gateway.Auth;
using Rondevu.Gateway.Http;
using Rondevu.Grains;

namespace Rondevu.Gateway.Endpoints;

/// <summary>Trickle ICE between an offer's two sides.</summary>
public static class IceEndpoints
{
    public static IEndpointRouteBuilder MapIceEndpoints(this IEndpointRouteBuilder routes)
    {
        var ice = routes.MapGroup("/offers/{offerId}/ice-candidates").RequireAuthorization().WithTags("ICE")
            .ProducesError(400, 401, 403, 404, 429);
        ice.MapPost("", Post)
            .WithName("addIceCandidates").WithSummary("Post ICE candidates (offerer or answerer)")
            .WithDescription("Each candidate is stored verbatim and returned with the exact JSON text sent.")
            .Accepts<RequestBodies.IceCandidatesRequest>("application/json");
        ice.MapGet("", Get)
            .WithName("getIceCandidates").WithSummary("The other side's ICE candidates")
            .WithDescription("Oldest first; with `since`, only those with `createdAt > since`. Pass the last `createdAt` seen to never " +
                "miss one. With `wait`, the request is held until such a candidate exists or `wait` seconds pass.");
        return routes;
    }

    private static async Task<Results<Ok<CandidatesAddedResponse>, JsonHttpResult<ErrorResponse>>> Post(
        string offerId, HttpRequest request, ClaimsPrincipal user, IOptions<RondevuOptions> limits, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var body = await RequestValidation.ReadObjectAsync(request, cancellationToken);
        if (!body.IsValid)
        {
            return ApiErrors.BadRequest(body.Error!);
        }
        using var document = body.Value;
        var candidates = RequestValidation.Candidates(document.RootElement, limits.Value);
        if (!candidates.IsValid)
        {
            return ApiErrors.BadRequest(candidates.Error!);
        }
        if (!Ids.IsValid(offerId))
        {
            return ApiErrors.OfferNotFound();
        }
        var result = await grains.GetOfferGrain(offerId).AddCandidatesAsync(user.PeerId(), candidates.Value);
        return result.Outcome switch
        {
            OfferOutcome.Ok => TypedResults.Ok(new CandidatesAddedResponse(offerId, result.Added)),
            OfferOutcome.NotParticipant => ApiErrors.Forbidden("Only the offerer or the answerer may post candidates"),
            OfferOutcome.CandidateLimit => ApiErrors.TooMany(
                $"Too many ICE candidates: at most {limits.Value.MaxIceCandidatesPerOffer} per side of an offer"),
            _ => ApiErrors.OfferNotFound(),
        };
    }

    private static async Task<Results<Ok<CandidatesResponse>, JsonHttpResult<ErrorResponse>>> Get(
        string offerId, string? since, string? wait, ClaimsPrincipal user, IGrainFactory grains, LongPoll longPoll, CancellationToken cancellationToken)
    {
        var push = RequestValidation.Push(since, wait);
        if (!push.IsValid)
        {
            return ApiErrors.BadRequest(push.Error!);
        }
        var (after, hold) = push.Value;
        if (!Ids.IsValid(offerId))
        {
            return ApiErrors.OfferNotFound();
        }
        var peerId = user.PeerId();
        var offer = grains.GetOfferGrain(offerId);
        var result = await offer.GetCandidatesAsync(peerId, after);
        if (result is { Outcome: OfferOutcome.Ok, Candidates.Length: 0 } && hold is { } duration)
        {
            // The offer stays the source of truth; the peer's mailbox only says when to read it again.
            var peer = grains.GetPeerGrain(peerId);
            var status = await longPoll.HoldAsync(
                duration,
                (slice, token) => peer.WaitForCandidatesAsync(offerId, after, slice, token),
                waited => waited != WaitStatus.TimedOut,
                cancellationToken);
            if (status == WaitStatus.TooManyWaiters)
            {
                return ApiErrors.TooManyWaiters();
            }
            if (status == WaitStatus.Ready)
            {
                result = await offer.GetCandidatesAsync(peerId, after);
            }
        }
        return result.Outcome switch
        {
            OfferOutcome.Ok => TypedResults.Ok(new CandidatesResponse(offerId, result.Candidates.Select(CandidateItem.From).ToArray())),
            OfferOutcome.NotParticipant => ApiErrors.Forbidden("Only the offerer or the answerer may read candidates"),
            _ => ApiErrors.OfferNotFound(),
        };
    }
}
