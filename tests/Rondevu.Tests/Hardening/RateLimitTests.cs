using System.Net;
using Rondevu.Tests.Http;

namespace Rondevu.Tests.Hardening;

/// <summary>
/// RATE_LIMIT_REGISTER=3, RATE_LIMIT_WRITES=5, RATE_LIMIT_PEER=8 per minute, no trusted proxy. Each test
/// sends from a loopback address of its own (127.0.x.y, all routed to lo on Linux) and issues its
/// credentials directly with the gateway's key, so tests never share a budget.
/// </summary>
/// <remarks>
/// Recovery: the limits are fixed windows of one minute whose clock is the limiter's own (not the
/// gateway's TimeProvider), so a test can't move time forward, and waiting a minute is out of the
/// question. What a client sees when its window ends is a budget that nobody has spent: these tests show
/// it with a fresh partition (another address, another peer) next to the exhausted one, and check that
/// Retry-After says when the exhausted one comes back (at most the 60 s window).
/// </remarks>
[Collection("hardening-rate-limits")]
public sealed class RateLimitTests(RateLimitGatewayFixture gateway)
{
    [Fact]
    public async Task Register_is_limited_per_IP_with_429_Retry_After_and_a_JSON_error()
    {
        var client = gateway.ClientFrom(HardeningFixtureBase.FreshSourceAddress());
        for (var i = 0; i < RateLimitGatewayFixture.Register; i++)
        {
            Expect.Ok(await client.Post("/register", "{}"));
        }
        var limited = await client.Post("/register", "{}");
        AssertLimited(limited);

        // Another address has its own budget, as the first one will again once its window ends.
        var other = gateway.ClientFrom(HardeningFixtureBase.FreshSourceAddress());
        Expect.Ok(await other.Post("/register", "{}"));
        AssertLimited(await client.Post("/register", "{}"));

        // Registering is its own budget: the same address can still write and read.
        var peer = gateway.IssuePeer();
        Expect.Ok(await client.Get("/offers/mine", peer));
        Expect.Error(await client.Delete($"/offers/{new string('0', 32)}", peer), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task X_Forwarded_For_is_ignored_without_TRUSTED_PROXIES()
    {
        var client = gateway.ClientFrom(HardeningFixtureBase.FreshSourceAddress());
        for (var i = 0; i < RateLimitGatewayFixture.Register; i++)
        {
            Expect.Ok(await client.Send(HttpMethod.Post, "/register", "{}", null, r => r.Headers.Add("X-Forwarded-For", $"198.51.100.{i}")));
        }
        AssertLimited(await client.Send(HttpMethod.Post, "/register", "{}", null, r => r.Headers.Add("X-Forwarded-For", "198.51.100.77")));
        AssertLimited(await client.Send(HttpMethod.Post, "/register", "{}", null, r => r.Headers.Add("X-Forwarded-For", "203.0.113.1, 198.51.100.78")));
    }

    [Fact]
    public async Task Other_writes_are_limited_per_IP_whichever_peer_sends_them()
    {
        var client = gateway.ClientFrom(HardeningFixtureBase.FreshSourceAddress());
        var missing = new string('0', 32);
        for (var i = 0; i < RateLimitGatewayFixture.Writes; i++)
        {
            // A new peer each time: only the address is common. Every write method counts.
            var peer = gateway.IssuePeer();
            var response = (i % 3) switch
            {
                0 => await client.Delete($"/offers/{missing}", peer),
                1 => await client.Put($"/offers/{missing}/heartbeat", peer),
                _ => await client.Post($"/offers/{missing}/answer", new { sdp = "v=0" }, peer),
            };
            Expect.Error(response, HttpStatusCode.NotFound);
        }
        AssertLimited(await client.Post("/offers", new { offers = new[] { new { sdp = "v=0", topics = new[] { "limited" } } } }, gateway.IssuePeer()));
        AssertLimited(await client.Delete($"/offers/{missing}", gateway.IssuePeer()));

        // Reads are not writes, and registering has its own budget.
        Expect.Ok(await client.Get("/offers/mine", gateway.IssuePeer()));
        Expect.Ok(await client.Get("/topics"));
        Expect.Ok(await client.Post("/register", "{}"));

        // Another address writes freely.
        var other = gateway.ClientFrom(HardeningFixtureBase.FreshSourceAddress());
        Expect.Error(await other.Delete($"/offers/{missing}", gateway.IssuePeer()), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_per_peer_limit_counts_every_request_of_one_peer_from_anywhere_and_peers_are_independent()
    {
        var first = gateway.ClientFrom(HardeningFixtureBase.FreshSourceAddress());
        var second = gateway.ClientFrom(HardeningFixtureBase.FreshSourceAddress());
        var alice = gateway.IssuePeer();
        var bob = gateway.IssuePeer();

        // Reads only (GETs are not writes), split over two addresses: the peer's budget is one.
        for (var i = 0; i < RateLimitGatewayFixture.PerPeer; i++)
        {
            var client = i % 2 == 0 ? first : second;
            Expect.Ok(await client.Get(i % 4 < 2 ? "/offers/mine" : "/poll", alice));
        }
        AssertLimited(await first.Get("/offers/mine", alice));
        AssertLimited(await second.Get("/offers/answers", alice));
        AssertLimited(await gateway.ClientFrom(HardeningFixtureBase.FreshSourceAddress()).Get("/poll", alice));

        // Bob, from the same addresses, is not affected.
        for (var i = 0; i < RateLimitGatewayFixture.PerPeer; i++)
        {
            Expect.Ok(await (i % 2 == 0 ? first : second).Get("/offers/mine", bob));
        }
        AssertLimited(await first.Get("/offers/mine", bob));

        // Unauthenticated reads from those addresses are not per-peer: still fine.
        Expect.Ok(await first.Get("/topics"));
        Expect.Ok(await second.Get($"/peers/{alice.Id}/offers"));
    }

    [Fact]
    public async Task A_request_with_a_bad_credential_is_not_charged_to_the_peer_it_names()
    {
        var client = gateway.ClientFrom(HardeningFixtureBase.FreshSourceAddress());
        var victim = gateway.IssuePeer();
        var forged = new Peer(victim.Id, gateway.IssuePeer().Secret);
        for (var i = 0; i < RateLimitGatewayFixture.PerPeer * 2; i++)
        {
            Expect.Error(await client.Get("/offers/mine", forged), HttpStatusCode.Unauthorized);
        }
        Expect.Ok(await client.Get("/offers/mine", victim));
    }

    [Fact]
    public async Task Retry_After_is_within_the_one_minute_window()
    {
        var client = gateway.ClientFrom(HardeningFixtureBase.FreshSourceAddress());
        ApiResponse response;
        var sent = 0;
        do
        {
            response = await client.Post("/register", "{}");
            sent++;
        }
        while (response.Status == HttpStatusCode.OK && sent < 10);
        Assert.Equal(RateLimitGatewayFixture.Register + 1, sent);
        AssertLimited(response);
        var seconds = int.Parse(response.Header("Retry-After")!);
        Assert.InRange(seconds, 1, 60);
    }

    private static void AssertLimited(ApiResponse response) => Limited.Assert(response);
}

public static class Limited
{
    /// <summary>429, a Retry-After in whole seconds, and the usual <c>{"error"}</c>.</summary>
    public static void Assert(ApiResponse response)
    {
        Expect.Error(response, HttpStatusCode.TooManyRequests);
        var retryAfter = response.Header("Retry-After");
        Xunit.Assert.False(retryAfter is null, $"429 without Retry-After: {response}");
        Xunit.Assert.True(int.TryParse(retryAfter, out var seconds) && seconds >= 1, $"Retry-After: {retryAfter}");
    }
}

/// <summary>TRUSTED_PROXIES=127.0.0.1, RATE_LIMIT_REGISTER=3, RATE_LIMIT_WRITES=0, RATE_LIMIT_PEER=0, MAX_BODY_SIZE=2048.</summary>
[Collection("hardening-proxy")]
public sealed class TrustedProxyTests(ProxyGatewayFixture gateway)
{
    private readonly Api _api = gateway.Api; // connects from 127.0.0.1, the trusted proxy

    private Task<ApiResponse> RegisterFor(Api client, string? forwardedFor) =>
        client.Send(HttpMethod.Post, "/register", "{}", null, r =>
        {
            if (forwardedFor is not null) r.Headers.Add("X-Forwarded-For", forwardedFor);
        });

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_IP_has_its_own_budget()
    {
        var a = $"198.51.100.{Random.Shared.Next(1, 250)}";
        var b = $"203.0.113.{Random.Shared.Next(1, 250)}";
        for (var i = 0; i < ProxyGatewayFixture.Register; i++)
        {
            Expect.Ok(await RegisterFor(_api, a));
        }
        Limited.Assert(await RegisterFor(_api, a));

        // A different client behind the same proxy: a fresh budget, as A's will be when its window ends.
        for (var i = 0; i < ProxyGatewayFixture.Register; i++)
        {
            Expect.Ok(await RegisterFor(_api, b));
        }
        Limited.Assert(await RegisterFor(_api, b));

        // The client is the last address the proxy appended, whatever the client itself claimed before it.
        Limited.Assert(await RegisterFor(_api, $"192.0.2.1, {a}"));
        Expect.Ok(await RegisterFor(_api, $"{a}, 192.0.2.{Random.Shared.Next(1, 250)}"));
    }

    [Fact]
    public async Task A_client_that_is_not_a_trusted_proxy_cannot_choose_its_IP_with_X_Forwarded_For()
    {
        var direct = gateway.ClientFrom(HardeningFixtureBase.FreshSourceAddress());
        for (var i = 0; i < ProxyGatewayFixture.Register; i++)
        {
            Expect.Ok(await RegisterFor(direct, $"198.18.0.{i + 1}"));
        }
        Limited.Assert(await RegisterFor(direct, "198.18.0.99"));
        Limited.Assert(await RegisterFor(direct, null));
    }

    [Fact]
    public async Task Zero_turns_a_limit_off()
    {
        // RATE_LIMIT_WRITES=0 and RATE_LIMIT_PEER=0: far past the defaults of the other fixture's limits.
        var peer = gateway.IssuePeer();
        var topic = Api.Unique("unlimited");
        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => i % 2 == 0
            ? _api.Post("/offers", new { offers = new[] { new { sdp = "v=0", topics = new[] { topic } } } }, peer)
            : _api.Get("/offers/mine", peer)));
        Assert.All(responses, r => Assert.True(r.Status == HttpStatusCode.OK, r.ToString()));
        Assert.Equal(20, (await _api.DiscoverOk(topic)).GetProperty("total").GetInt32());
    }
}
