using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Rondevu.Gateway.Auth;
using Rondevu.Gateway.Http;
using Rondevu.Grains;

namespace Rondevu.Gateway.Endpoints;

/// <summary>An authenticated peer's own offers: publish, list, heartbeat, delete, and their answers.</summary>
public static class OfferEndpoints
{
    public static IEndpointRouteBuilder MapOfferEndpoints(this IEndpointRouteBuilder routes)
    {
        var offers = routes.MapGroup("/offers").RequireAuthorization().WithTags("Offers").ProducesError(401);
        offers.MapPost("", Publish)
            .WithName("publishOffers").WithSummary("Publish offers")
            .WithDescription("All-or-nothing: one invalid offer rejects the whole request and nothing is stored.")
            .Accepts<RequestBodies.PublishOffersRequest>("application/json").ProducesError(400, 429);
        offers.MapGet("/mine", Mine)
            .WithName("getMyOffers").WithSummary("The caller's live offers, secrets included");
        offers.MapGet("/answers", Answers)
            .WithName("getAnswers").WithSummary("Answers to the caller's offers")
            .WithDescription("With `since`, only answers with `answeredAt > since`. With `wait`, the request is held until such an answer " +
                "exists or `wait` seconds pass (then `{\"answers\": []}`).")
            .ProducesError(400, 429);
        offers.MapPut("/{offerId}/heartbeat", Heartbeat)
            .WithName("heartbeatOffer").WithSummary("Refresh an offer's lastSeen (owner only)")
            .WithDescription("Does not extend the expiry.").ProducesError(404);
        offers.MapDelete("/{offerId}", Delete)
            .WithName("deleteOffer").WithSummary("Delete an offer (owner only)")
            .WithDescription("The offer and its candidates leave every listing at once.").ProducesError(404);
        offers.MapPost("/{offerId}/answer", Answer)
            .WithName("answerOffer").WithSummary("Answer an offer")
            .WithDescription("The first valid answer locks the offer to the answerer. 400 also covers answering your own offer.")
            .Accepts<RequestBodies.AnswerRequest>("application/json").ProducesError(400, 403, 404, 409);
        return routes;
    }

    private static async Task<Results<Ok<CreateOffersResponse>, JsonHttpResult<ErrorResponse>>> Publish(
        HttpRequest request, ClaimsPrincipal user, IOptions<RondevuOptions> limits, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var body = await RequestValidation.ReadObjectAsync(request, cancellationToken);
        if (!body.IsValid)
        {
            return ApiErrors.BadRequest(body.Error!);
        }
        using var document = body.Value;
        var drafts = RequestValidation.Offers(document.RootElement, limits.Value);
        if (!drafts.IsValid)
        {
            return ApiErrors.BadRequest(drafts.Error!);
        }
        var result = await grains.GetPeerGrain(user.PeerId()).PublishAsync(drafts.Value);
        if (result.PeerLimitReached)
        {
            return ApiErrors.TooMany($"Too many offers: a peer may hold at most {limits.Value.MaxOffersPerPeer} live offers");
        }
        return TypedResults.Ok(new CreateOffersResponse(
            result.Offers.Select(o => new CreatedOffer(o.Id, o.PeerId, o.Topics, o.ExpiresAt)).ToArray()));
    }

    private static async Task<Ok<MyOffersResponse>> Mine(ClaimsPrincipal user, IGrainFactory grains)
    {
        var peerId = user.PeerId();
        var offers = await grains.GetPeerGrain(peerId).GetOffersAsync();
        return TypedResults.Ok(new MyOffersResponse(peerId, offers.Select(OwnOffer.From).ToArray()));
    }

    private static async Task<Results<Ok<AnswersResponse>, JsonHttpResult<ErrorResponse>>> Answers(
        string? since, string? wait, ClaimsPrincipal user, IGrainFactory grains, LongPoll longPoll, CancellationToken cancellationToken)
    {
        var push = RequestValidation.Push(since, wait);
        if (!push.IsValid)
        {
            return ApiErrors.BadRequest(push.Error!);
        }
        var (after, hold) = push.Value;
        var peer = grains.GetPeerGrain(user.PeerId());
        if (hold is not { } duration)
        {
            var answers = await peer.GetAnswersAsync(after);
            return TypedResults.Ok(new AnswersResponse(answers.Select(AnswerItem.From).ToArray()));
        }
        var waited = await longPoll.HoldAsync(
            duration,
            (slice, token) => peer.WaitForAnswersAsync(after, slice, token),
            result => result.Status != WaitStatus.TimedOut,
            cancellationToken);
        return waited.Status == WaitStatus.TooManyWaiters
            ? ApiErrors.TooManyWaiters()
            : TypedResults.Ok(new AnswersResponse(waited.Answers.Select(AnswerItem.From).ToArray()));
    }

    private static async Task<Results<Ok<HeartbeatResponse>, JsonHttpResult<ErrorResponse>>> Heartbeat(
        string offerId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var lastSeen = Ids.IsValid(offerId) ? await grains.GetOfferGrain(offerId).HeartbeatAsync(user.PeerId()) : null;
        return lastSeen is { } seen
            ? TypedResults.Ok(new HeartbeatResponse(offerId, seen))
            : ApiErrors.NotFound("Offer not found or not authorized");
    }

    private static async Task<Results<Ok<DeleteResponse>, JsonHttpResult<ErrorResponse>>> Delete(
        string offerId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var deleted = Ids.IsValid(offerId) && await grains.GetOfferGrain(offerId).DeleteAsync(user.PeerId());
        return deleted
            ? TypedResults.Ok(new DeleteResponse(true))
            : ApiErrors.NotFound("Offer not found or not authorized");
    }

    private static async Task<Results<Ok<AnswerResponse>, JsonHttpResult<ErrorResponse>>> Answer(
        string offerId, HttpRequest request, ClaimsPrincipal user, IOptions<RondevuOptions> limits, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var body = await RequestValidation.ReadObjectAsync(request, cancellationToken);
        if (!body.IsValid)
        {
            return ApiErrors.BadRequest(body.Error!);
        }
        using var document = body.Value;
        var sdp = RequestValidation.Sdp(document.RootElement, limits.Value);
        var secret = RequestValidation.OptionalString(document.RootElement, "secret", "Secret", RequestValidation.MaxSecretLength);
        if (RequestValidation.FirstError(sdp.Error, secret.Error) is { } error)
        {
            return ApiErrors.BadRequest(error);
        }
        if (!Ids.IsValid(offerId))
        {
            return ApiErrors.OfferNotFound();
        }
        var answererId = user.PeerId();
        var result = await grains.GetOfferGrain(offerId).AnswerAsync(answererId, sdp.Value, secret.Value);
        return result.Outcome switch
        {
            OfferOutcome.Ok => TypedResults.Ok(new AnswerResponse(offerId, answererId, result.AnsweredAt)),
            OfferOutcome.AlreadyAnswered => ApiErrors.Conflict("Offer already answered"),
            OfferOutcome.WrongSecret => ApiErrors.Forbidden("Invalid or missing secret for this offer"),
            OfferOutcome.OwnOffer => ApiErrors.BadRequest("Cannot answer your own offer"),
            _ => ApiErrors.OfferNotFound(),
        };
    }
}
