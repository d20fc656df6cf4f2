using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Rondevu.Tests.Http;

/// <summary>API.md "Authentication": every way a credential can be wrong is a 401 {error} that says which.</summary>
[Collection("gateway")]
public sealed class AuthTests(GatewayFixture gateway)
{
    private readonly Api _api = gateway.Api;

    private Task<ApiResponse> Mine(string? authorization) => _api.Send(HttpMethod.Get, "/offers/mine", null, authorization);

    [Fact]
    public async Task Missing_authorization_header_is_401()
    {
        Expect.Error(await Mine(null), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Wrong_scheme_is_401()
    {
        var peer = await _api.Register();
        Expect.Error(await Mine($"Basic {peer.Id}:{peer.Secret}"), HttpStatusCode.Unauthorized);
        Expect.Error(await Mine($"Token {peer.Id}:{peer.Secret}"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Credential_without_colon_is_401()
    {
        var peer = await _api.Register();
        Expect.Error(await Mine($"Bearer {peer.Id}{peer.Secret}"), HttpStatusCode.Unauthorized);
        Expect.Error(await Mine($"Bearer :{peer.Secret}"), HttpStatusCode.Unauthorized);
        Expect.Error(await Mine($"Bearer {peer.Id}:"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Secret_that_is_not_base64_is_401()
    {
        var peer = await _api.Register();
        Expect.Error(await Mine($"Bearer {peer.Id}:not*base64!"), HttpStatusCode.Unauthorized, "base64");
    }

    [Fact]
    public async Task Tampered_tag_is_401()
    {
        var peer = await _api.Register();
        var bytes = Convert.FromBase64String(peer.Secret);
        bytes[^1] ^= 0x01;
        Expect.Error(await Mine($"Bearer {peer.Id}:{Convert.ToBase64String(bytes)}"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Tampered_ciphertext_is_401()
    {
        var peer = await _api.Register();
        var bytes = Convert.FromBase64String(peer.Secret);
        bytes[12] ^= 0x80;
        Expect.Error(await Mine($"Bearer {peer.Id}:{Convert.ToBase64String(bytes)}"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Secret_of_another_peer_is_401()
    {
        var alice = await _api.Register();
        var bob = await _api.Register();
        Expect.Error(await Mine($"Bearer {bob.Id}:{alice.Secret}"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Each_kind_of_credential_failure_has_its_own_message_without_key_material()
    {
        var alice = await _api.Register();
        var bob = await _api.Register();
        var tampered = Convert.FromBase64String(alice.Secret);
        tampered[^1] ^= 0x01;
        var messages = new[]
        {
            Expect.Error(await Mine(null), HttpStatusCode.Unauthorized),
            Expect.Error(await Mine($"Basic {alice.Id}:{alice.Secret}"), HttpStatusCode.Unauthorized),
            Expect.Error(await Mine($"Bearer {alice.Id}{alice.Secret}"), HttpStatusCode.Unauthorized),
            Expect.Error(await Mine($"Bearer {alice.Id}:***"), HttpStatusCode.Unauthorized),
            Expect.Error(await Mine($"Bearer {alice.Id}:{Convert.ToBase64String(tampered)}"), HttpStatusCode.Unauthorized),
            Expect.Error(await Mine($"Bearer {bob.Id}:{alice.Secret}"), HttpStatusCode.Unauthorized),
        };
        Assert.Equal(messages.Length, messages.Distinct().Count());
        foreach (var message in messages)
        {
            Assert.DoesNotContain(GatewayFixture.AuthSecret, message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(alice.Secret, message);
        }
    }

    [Theory]
    [InlineData("POST", "/offers")]
    [InlineData("GET", "/offers/mine")]
    [InlineData("GET", "/offers/answers")]
    [InlineData("PUT", "/offers/0123456789abcdef0123456789abcdef/heartbeat")]
    [InlineData("DELETE", "/offers/0123456789abcdef0123456789abcdef")]
    [InlineData("POST", "/offers/0123456789abcdef0123456789abcdef/answer")]
    [InlineData("POST", "/offers/0123456789abcdef0123456789abcdef/ice-candidates")]
    [InlineData("GET", "/offers/0123456789abcdef0123456789abcdef/ice-candidates")]
    public async Task Authenticated_routes_without_credentials_are_401(string method, string path)
    {
        var body = method is "POST" or "PUT" ? "{}" : null;
        Expect.Error(await _api.Send(new HttpMethod(method), path, body, null), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/health")]
    [InlineData("/topics")]
    [InlineData("/offers/by-topic/anything")]
    [InlineData("/peers/0123456789abcdef0123456789abcdef/offers")]
    public async Task Public_routes_need_no_credentials(string path)
    {
        Expect.Ok(await _api.Get(path));
    }

    [Fact]
    public void The_gateway_keeps_no_data_protection_key_ring()
    {
        // Credentials are sealed with AUTH_SECRET; ASP.NET's key ring would be read or written at every start and held in memory.
        Assert.Null(gateway.Factory.Services.GetService<IDataProtectionProvider>());
    }
}
