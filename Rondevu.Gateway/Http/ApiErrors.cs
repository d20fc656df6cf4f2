using Microsoft.AspNetCore.Http.HttpResults;

namespace Rondevu.Gateway.Http;

/// <summary>Every failure's body: <c>{"error": "..."}</c>.</summary>
public sealed record ErrorResponse(string Error);

public static class ApiErrors
{
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
}
