using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Rondevu.Grains;

namespace Rondevu.Tests.Http;

[Collection("gateway")]
public sealed class ServiceTests(GatewayFixture gateway)
{
    private readonly Api _api = gateway.Api;

    [Fact]
    public async Task Fixture_settings_reach_the_builder_real_kestrel_on_loopback_and_free_silo_ports()
    {
        Assert.Equal("127.0.0.1", _api.Http.BaseAddress!.Host);
        Assert.NotEqual(0, _api.Http.BaseAddress.Port);

        var endpoints = gateway.Factory.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(int.Parse(gateway.Settings["Orleans:SiloPort"]!), endpoints.SiloPort);
        Assert.Equal(int.Parse(gateway.Settings["Orleans:GatewayPort"]!), endpoints.GatewayPort);
        using (var silo = new TcpClient())
        {
            await silo.ConnectAsync(IPAddress.Loopback, endpoints.SiloPort);
        }

        var limits = gateway.Factory.Services.GetRequiredService<IOptions<RondevuOptions>>().Value;
        Assert.Equal(GatewayFixture.DefaultTtl, limits.OfferDefaultTtl);
        Assert.Equal(GatewayFixture.MaxTtl, limits.OfferMaxTtl);
    }

    [Fact]
    public async Task Root_returns_version_name_and_description()
    {
        var json = Expect.Ok(await _api.Get("/"));
        Expect.Keys(json, "version", "name", "description");
        Assert.Equal(GatewayFixture.Version, json.GetProperty("version").GetString());
        Assert.Equal("Rondevu", json.GetProperty("name").GetString());
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("description").GetString()));
    }

    [Fact]
    public async Task Health_returns_ok_integer_timestamp_and_version()
    {
        var before = gateway.Clock.NowMs;
        var json = Expect.Ok(await _api.Get("/health"));
        var after = gateway.Clock.NowMs;
        Expect.Keys(json, "status", "timestamp", "version");
        Assert.Equal("ok", json.GetProperty("status").GetString());
        Assert.Equal(GatewayFixture.Version, json.GetProperty("version").GetString());
        var timestamp = json.GetProperty("timestamp");
        Assert.Equal(System.Text.Json.JsonValueKind.Number, timestamp.ValueKind);
        Assert.DoesNotContain(".", timestamp.GetRawText());
        Assert.InRange(timestamp.GetInt64(), before, after);
    }

    [Fact]
    public async Task Register_issues_a_32_hex_peer_id_and_a_secret_that_authenticates()
    {
        var json = Expect.Ok(await _api.Post("/register", "{}"));
        Expect.Keys(json, "peerId", "secret");
        var peerId = json.GetProperty("peerId").GetString();
        var secret = json.GetProperty("secret").GetString()!;
        Expect.HexId(peerId);
        // base64(iv[12] ‖ ciphertext of the 32-byte peer id ‖ tag[16])
        Assert.Equal(12 + 32 + 16, Convert.FromBase64String(secret).Length);

        var mine = Expect.Ok(await _api.Get("/offers/mine", new Peer(peerId!, secret)));
        Assert.Equal(peerId, mine.GetProperty("peerId").GetString());
    }

    [Fact]
    public async Task Register_without_a_body_works_and_every_peer_id_is_new()
    {
        var first = Expect.Ok(await _api.Post("/register", json: null));
        var second = await _api.Register();
        Expect.HexId(first.GetProperty("peerId").GetString());
        Assert.NotEqual(first.GetProperty("peerId").GetString(), second.Id);
    }
}
