using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;
using Rondevu.Gateway.Http;

namespace Rondevu.Gateway.Hosting;

/// <summary>Turns every failure, including routing's bodiless 404/405 and Kestrel's 413, into <c>{"error": ...}</c>.</summary>
public static class ErrorHandling
{
    public static WebApplication UseRondevuErrors(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteExceptionAsync });
        app.UseStatusCodePages(context => WriteStatusAsync(context.HttpContext));
        return app;
    }

    private static Task WriteExceptionAsync(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var result = error switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                ApiErrors.Create(StatusCodes.Status413PayloadTooLarge, "Request body too large"),
            BadHttpRequestException bad => ApiErrors.Create(bad.StatusCode, $"Bad request: {bad.Message}"),
            // A silo or the connection to it went away mid-call, or the runtime gave up on the call (a message that
            // expired while its grain was being placed is an OperationCanceledException): the client may retry, on
            // any gateway. A cancellation the client caused never gets here: the middleware answers 499 for it.
            TimeoutException or OrleansException or OperationCanceledException =>
                ApiErrors.Create(StatusCodes.Status503ServiceUnavailable, "Service temporarily unavailable; retry"),
            _ => ApiErrors.Create(StatusCodes.Status500InternalServerError, "Internal server error"),
        };
        return result.ExecuteAsync(context);
    }

    private static Task WriteStatusAsync(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var message = status switch
        {
            StatusCodes.Status404NotFound => "Not found",
            StatusCodes.Status405MethodNotAllowed => "Method not allowed",
            _ => ReasonPhrases.GetReasonPhrase(status),
        };
        return ApiErrors.Create(status, message).ExecuteAsync(context);
    }
}
