using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Rondevu.Gateway.Http;

namespace Rondevu.Gateway.Auth;

/// <summary>Validates <c>Authorization: Bearer {peerId}:{secret}</c> and answers failures with a JSON 401 that says why.</summary>
public sealed class BearerCredentialHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    CredentialCipher cipher) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "RondevuBearer";
    private const string FailureKey = "rondevu.authFailure";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var failure = Authenticate(out var peerId);
        if (failure is not null)
        {
            Context.Items[FailureKey] = failure;
            return Task.FromResult(AuthenticateResult.Fail(failure));
        }
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, peerId!)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var message = Context.Items[FailureKey] as string ?? "Authentication required";
        await ApiErrors.Unauthorized(message).ExecuteAsync(Context);
    }

    private string? Authenticate(out string? peerId)
    {
        peerId = null;
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return "Missing Authorization header";
        }
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return "Authorization header must use the Bearer scheme";
        }
        var credential = header["Bearer ".Length..].Trim();
        var colon = credential.IndexOf(':');
        if (colon <= 0 || colon == credential.Length - 1)
        {
            return "Invalid credentials format: expected peerId:secret";
        }
        peerId = credential[..colon];
        return cipher.Verify(peerId, credential[(colon + 1)..]);
    }
}

public static class PeerIdentity
{
    public static string PeerId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("Not authenticated");
}
