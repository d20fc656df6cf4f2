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
        var service = routes.MapGroup("").WithTags("Service");
        service.MapGet("/", (ServiceVersion version) => TypedResults.Ok(new InfoResponse(version.Value, Name, Description)))
            .WithName("getInfo").WithSummary("Service name, version and description");

        service.MapGet("/health", (ServiceVersion version, TimeProvider clock) =>
                TypedResults.Ok(new HealthResponse("ok", clock.GetUtcNow().ToUnixTimeMilliseconds(), version.Value)))
            .WithName("getHealth").WithSummary("Liveness and version");

        service.MapPost("/register", Register)
            .WithName("register").WithSummary("Issue a peer id and its secret")
            .WithDescription("Credentials are stateless: use them as `Authorization: Bearer {peerId}:{secret}`. " +
                "The body is ignored (the client sends `{}`).");
        return routes;
    }

    private static Ok<RegisterResponse> Register(CredentialCipher cipher)
    {
        var peerId = Ids.New();
        return TypedResults.Ok(new RegisterResponse(peerId, cipher.Issue(peerId)));
    }
}
