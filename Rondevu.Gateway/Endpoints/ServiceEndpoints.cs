using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Rondevu.Gateway.Auth;
using Rondevu.Gateway.Hosting;
using Rondevu.Gateway.Http;
using Rondevu.Grains;

namespace Rondevu.Gateway.Endpoints;

/// <summary>Service info, health and registration: the routes that need no grain.</summary>
public static class ServiceEndpoints
{
    public const string Name = "Rondevu";
    public const string Description = "Topic-based peer discovery and signaling server for distributed P2P applications";

    public static IEndpointRouteBuilder MapServiceEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/", (ServiceVersion version) =>
            TypedResults.Ok(new InfoResponse(version.Value, Name, Description)));

        routes.MapGet("/health", (ServiceVersion version, TimeProvider clock) =>
            TypedResults.Ok(new HealthResponse("ok", clock.GetUtcNow().ToUnixTimeMilliseconds(), version.Value)));

        routes.MapPost("/register", Register);
        return routes;
    }

    private static Ok<RegisterResponse> Register(CredentialCipher cipher)
    {
        var peerId = Ids.New();
        return TypedResults.Ok(new RegisterResponse(peerId, cipher.Issue(peerId)));
    }
}
