using Microsoft.AspNetCore.Http.HttpResults;

namespace Rondevu.Gateway.Http;

/// <summary>Every failure's body: <c>{"error": "..."}</c>.</summary>
public sealed record ErrorResponse(string Error);

public static class ApiErrors
{
    /// <summary>What each error status means, wherever a route declares it.</summary>
    private static readonly Dictionary<int, string> Meanings = new()
    {
        [StatusCodes.Status400BadRequest] = "Invalid request: malformed JSON, a missing field, a value of the wrong type or out of range",
        [StatusCodes.Status401Unauthorized] = "Missing or invalid `Authorization: Bearer {peerId}:{secret}`",
        [StatusCodes.Status403Forbidden] = "Not allowed: wrong or missing secret, or not a participant of the offer",
        [StatusCodes.Status404NotFound] = "Offer not found (unknown, expired, or not the caller's)",
        [StatusCodes.Status409Conflict] = "Offer already answered",
        [StatusCodes.Status429TooManyRequests] = "A per-peer or per-offer limit was reached (offers, candidates, or waiting requests)",
    };

    public static JsonHttpResult<ErrorResponse> Create(int status, string message) =>
        TypedResults.Json(new ErrorResponse(message), statusCode: status);

    public static JsonHttpResult<ErrorResponse> BadRequest(string message) => Create(StatusCodes.Status400BadRequest, message);
    public static JsonHttpResult<ErrorResponse> Unauthorized(string message) => Create(StatusCodes.Status401Unauthorized, message);
    public static JsonHttpResult<ErrorResponse> Forbidden(string message) => Create(StatusCodes.Status403Forbidden, message);
    public static JsonHttpResult<ErrorResponse> NotFound(string message) => Create(StatusCodes.Status404NotFound, message);
    public static JsonHttpResult<ErrorResponse> Conflict(string message) => Create(StatusCodes.Status409Conflict, message);
    public static JsonHttpResult<ErrorResponse> TooMany(string message) => Create(StatusCodes.Status429TooManyRequests, message);

    public static JsonHttpResult<ErrorResponse> OfferNotFound() => NotFound("Offer not found");

    public static JsonHttpResult<ErrorResponse> TooManyWaiters() =>
        TooMany("Too many waiting requests for this peer; let one finish before starting another");

    /// <summary>Declares the error statuses a route (or every route of a group) may answer, for the OpenAPI document.</summary>
    public static TBuilder ProducesError<TBuilder>(this TBuilder builder, params int[] statuses) where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in statuses)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ErrorResponse), ["application/json"])
            {
                Description = Meanings[status],
            });
        }
        return builder;
    }
}
