using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Rondevu.Gateway.Auth;
using Rondevu.Gateway.Http;
using Rondevu.Grains;

namespace Rondevu.Gateway.Endpoints;

/// <summary>Push delivery: one call that returns, or waits for, everything a peer is waiting for.</summary>
public static class PollEndpoints
{
    public static IEndpointRouteBuilder MapPollEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/poll", Poll).RequireAuthorization()
            .WithTags("Push").WithName("poll").WithSummary("Everything the caller waits for, in one call")
            .WithDescription("Answers to the caller's offers and the other side's candidates on every offer it owns or answered, newer " +
                "than `since`. `timestamp` is the cursor to pass as the next `since`; nothing is skipped between calls that chain " +
                "cursors. With `wait`, the request is held until there is news or `wait` seconds pass.")
            .ProducesError(400, 401, 429);
        return routes;
    }

    private static async Task<Results<Ok<PollResponse>, JsonHttpResult<ErrorResponse>>> Poll(
        string? since, string? wait, ClaimsPrincipal user, IGrainFactory grains, LongPoll longPoll, CancellationToken cancellationToken)
    {
        var push = RequestValidation.Push(since, wait);
        if (!push.IsValid)
        {
            return ApiErrors.BadRequest(push.Error!);
        }
        var (after, hold) = push.Value;
        var peer = grains.GetPeerGrain(user.PeerId());
        var page = await longPoll.HoldAsync(
            hold ?? TimeSpan.Zero,
            (slice, token) => peer.PollAsync(after, slice, token),
            result => result.Status != WaitStatus.TimedOut,
            cancellationToken);
        return page.Status == WaitStatus.TooManyWaiters
            ? ApiErrors.TooManyWaiters()
            : TypedResults.Ok(new PollResponse(
                page.Answers.Select(AnswerItem.From).ToArray(),
                page.Candidates.Select(PolledCandidateItem.From).ToArray(),
                page.Timestamp));
    }
}
