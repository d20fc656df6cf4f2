using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Rondevu.Gateway.Auth;
using Rondevu.Tests.Http;

namespace Rondevu.Tests.Hardening;

/// <summary>Credentials can't be forged or borrowed, an offer's candidates and answer belong to its two
/// sides only, and an offer's secret never leaves the server except to its owner, not even into the logs.</summary>
[Collection("hardening-security")]
public sealed class SecurityTests(SecurityGatewayFixture gateway)
{
    private readonly Api _api = gateway.Api;

    // ------------------------------------------------------------------ tampered credentials

    public static TheoryData<string> Tampering =>
    [
        "flip IV byte 0", "flip IV byte 11", "flip ciphertext byte 12", "flip ciphertext last byte", "flip tag first byte",
        "flip tag last byte", "truncate 1 byte", "truncate tag", "truncate to IV+tag", "truncate to 8 chars",
        "append base64 AAAA", "append A", "append =", "prepend A", "another key", "another peer's id", "another peer's secret",
        "id with extra character", "id uppercased", "id without last char", "url-safe alphabet, changed IV",
        "bearer lowercase", "no scheme", "two colons", "empty secret", "empty id",
    ];

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Tampered_credentials_are_401(string tampering)
    {
        var peer = await _api.Register();
        var other = await _api.Register();
        Expect.Ok(await _api.Get("/offers/mine", peer)); // the untouched credential works

        var header = Tamper(tampering, peer, other);
        Assert.NotEqual(peer.Header, header);
        foreach (var (method, path) in new[] { ("GET", "/offers/mine"), ("GET", "/poll"), ("POST", "/offers") })
        {
            var response = await _api.Send(new HttpMethod(method), path,
                method == "POST" ? """{"offers":[{"sdp":"v=0","topics":["tampered"]}]}""" : null, header);
            Expect.Error(response, HttpStatusCode.Unauthorized);
        }
    }

    private static string Tamper(string how, Peer peer, Peer other)
    {
        var bytes = Convert.FromBase64String(peer.Secret);
        string Flip(int index)
        {
            var copy = (byte[])bytes.Clone();
            copy[index] ^= 0x01;
            return $"Bearer {peer.Id}:{Convert.ToBase64String(copy)}";
        }
        string Secret(string secret) => $"Bearer {peer.Id}:{secret}";
        return how switch
        {
            "flip IV byte 0" => Flip(0),
            "flip IV byte 11" => Flip(11),
            "flip ciphertext byte 12" => Flip(12),
            "flip ciphertext last byte" => Flip(bytes.Length - 17),
            "flip tag first byte" => Flip(bytes.Length - 16),
            "flip tag last byte" => Flip(bytes.Length - 1),
            "truncate 1 byte" => Secret(Convert.ToBase64String(bytes[..^1])),
            "truncate tag" => Secret(Convert.ToBase64String(bytes[..^16])),
            "truncate to IV+tag" => Secret(Convert.ToBase64String(bytes[..28])),
            "truncate to 8 chars" => Secret(peer.Secret[..8]),
            "append base64 AAAA" => Secret(peer.Secret + "AAAA"),
            "append A" => Secret(peer.Secret + "A"),
            "append =" => Secret(peer.Secret + "="),
            "prepend A" => Secret("A" + peer.Secret),
            "another key" => Secret(new CredentialCipher(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()).Issue(peer.Id)),
            "another peer's id" => $"Bearer {other.Id}:{peer.Secret}",
            "another peer's secret" => Secret(other.Secret),
            "id with extra character" => $"Bearer {peer.Id}0:{peer.Secret}",
            "id uppercased" => $"Bearer {peer.Id.ToUpperInvariant()}:{peer.Secret}",
            "id without last char" => $"Bearer {peer.Id[..^1]}:{peer.Secret}",
            "url-safe alphabet, changed IV" => Secret(Convert.ToBase64String(bytes.Select((b, i) => i == 0 ? (byte)0xFB : b).ToArray()).Replace('+', '-').Replace('/', '_')),
            "bearer lowercase" => $"bearer {peer.Id}:{peer.Secret}",
            "no scheme" => $"{peer.Id}:{peer.Secret}",
            "two colons" => $"Bearer {peer.Id}:{peer.Secret}:{peer.Secret}",
            "empty secret" => $"Bearer {peer.Id}:",
            "empty id" => $"Bearer :{peer.Secret}",
            _ => throw new ArgumentOutOfRangeException(nameof(how)),
        };
    }

    // ------------------------------------------------------------------ strangers

    [Fact]
    public async Task A_stranger_cannot_read_post_delete_or_heartbeat_another_peers_offer()
    {
        var owner = await _api.Register();
        var answerer = await _api.Register();
        var stranger = await _api.Register();
        var id = await _api.PublishOneOk(owner, Api.Unique("stranger"), ttl: 600_000);
        await _api.AnswerOk(answerer, id, "v=0 the answer");
        Expect.Ok(await _api.PostCandidates(owner, id, """["from-owner"]"""));
        Expect.Ok(await _api.PostCandidates(answerer, id, """["from-answerer"]"""));
        var mineBefore = (await _api.Get("/offers/mine", owner)).Text;

        Expect.Error(await _api.Get($"/offers/{id}/ice-candidates", stranger), HttpStatusCode.Forbidden);
        Expect.Error(await _api.Get($"/offers/{id}/ice-candidates?since=0&wait=1", stranger), HttpStatusCode.Forbidden);
        Expect.Error(await _api.PostCandidates(stranger, id, """["from-stranger"]"""), HttpStatusCode.Forbidden);
        Expect.Error(await _api.Delete($"/offers/{id}", stranger), HttpStatusCode.NotFound, "not found");
        Expect.Error(await _api.Put($"/offers/{id}/heartbeat", stranger), HttpStatusCode.NotFound);
        Expect.Error(await _api.Answer(stranger, id, "v=0 late"), HttpStatusCode.Conflict);
        // The answerer is a participant, not an owner: it can't delete or heartbeat either.
        Expect.Error(await _api.Delete($"/offers/{id}", answerer), HttpStatusCode.NotFound);
        Expect.Error(await _api.Put($"/offers/{id}/heartbeat", answerer), HttpStatusCode.NotFound);

        // The stranger's own views show nothing of it.
        Assert.Empty(Expect.Ok(await _api.Get("/offers/answers?since=0", stranger)).GetProperty("answers").EnumerateArray());
        var poll = Expect.Ok(await _api.Get("/poll?since=0", stranger));
        Assert.Empty(poll.GetProperty("answers").EnumerateArray());
        Assert.Empty(poll.GetProperty("iceCandidates").EnumerateArray());
        Assert.Empty(await _api.MineOk(stranger));
        Assert.DoesNotContain("the answer", (await _api.Get("/offers/answers", stranger)).Text);

        // Nothing changed for the two sides.
        Assert.Equal(mineBefore, (await _api.Get("/offers/mine", owner)).Text);
        Assert.Equal(["\"from-answerer\""], (await _api.CandidatesOk(owner, id)).Select(c => c.GetProperty("candidate").GetRawText()));
        Assert.Equal(["\"from-owner\""], (await _api.CandidatesOk(answerer, id)).Select(c => c.GetProperty("candidate").GetRawText()));
        var answers = Expect.Ok(await _api.Get("/offers/answers", owner)).GetProperty("answers").EnumerateArray().ToArray();
        Assert.Equal(answerer.Id, Assert.Single(answers).GetProperty("answererId").GetString());
    }

    [Fact]
    public async Task A_wrong_or_missing_secret_does_not_answer_a_protected_offer()
    {
        var owner = await _api.Register();
        var stranger = await _api.Register();
        var topic = Api.Unique("protected");
        var id = await _api.PublishOneOk(owner, topic, secret: "right-secret");
        foreach (var secret in new string?[] { null, "", "wrong", "right-secre", "right-secret ", "RIGHT-SECRET", "right-secret\u0000" })
        {
            Expect.Error(await _api.Answer(stranger, id, secret: secret), HttpStatusCode.Forbidden);
        }
        Assert.Equal(1, (await _api.DiscoverOk(topic)).GetProperty("total").GetInt32());
        Assert.Empty(Expect.Ok(await _api.Get("/offers/answers", owner)).GetProperty("answers").EnumerateArray());
    }

    // ------------------------------------------------------------------ secrets in responses and logs

    [Fact]
    public async Task No_response_but_the_owners_own_list_contains_an_offers_secret_and_no_log_line_any_secret()
    {
        var owner = await _api.Register();
        var answerer = await _api.Register();
        var stranger = await _api.Register();
        var topic = Api.Unique("secret-scan");
        var open = "SECRET-OPEN-" + Guid.NewGuid().ToString("N");
        var answered = "SECRET-ANSWERED-" + Guid.NewGuid().ToString("N");
        var ids = await _api.PublishOk(owner,
            new { sdp = "v=0 open", topics = new[] { topic }, secret = open, info = "visible" },
            new { sdp = "v=0 answered", topics = new[] { topic }, secret = answered });
        await _api.AnswerOk(answerer, ids[1], "v=0 answer", answered);
        Expect.Error(await _api.Answer(stranger, ids[0], secret: answered), HttpStatusCode.Forbidden); // a wrong secret, logged nowhere
        Expect.Error(await _api.Answer(stranger, ids[0], secret: open[..^1]), HttpStatusCode.Forbidden);
        Expect.Ok(await _api.PostCandidates(owner, ids[1], """["owner-candidate"]"""));
        Expect.Ok(await _api.PostCandidates(answerer, ids[1], """["answerer-candidate"]"""));
        Expect.Error(await _api.Get("/offers/mine", new Peer(owner.Id, owner.Secret[..^4])), HttpStatusCode.Unauthorized);

        var secrets = new[] { open, answered };
        var publicReads = new (string Path, Peer? Peer)[]
        {
            (Api.TopicPath(topic), null),
            (Api.TopicPath(topic, "limit=200"), null),
            ("/topics", null),
            ("/topics?startsWith=" + Uri.EscapeDataString(topic), null),
            ($"/peers/{owner.Id}/offers", null),
            ($"/peers/{answerer.Id}/offers", null),
            ("/offers/mine", stranger),
            ("/offers/mine", answerer),
            ("/offers/answers?since=0", stranger),
            ("/offers/answers?since=0", answerer),
            ("/offers/answers?since=0", owner), // the owner's answers carry the answer, not the offer's secret
            ("/poll?since=0", stranger),
            ("/poll?since=0", answerer),
            ("/poll?since=0", owner),
            ($"/offers/{ids[1]}/ice-candidates?since=0", answerer),
            ($"/offers/{ids[1]}/ice-candidates?since=0", owner),
            ($"/offers/{ids[1]}/ice-candidates?since=0", stranger),
            ($"/offers/{ids[0]}/ice-candidates?since=0", stranger),
            ("/", null),
            ("/health", null),
            ("/health/ready", null),
            ("/metrics", null),
        };
        foreach (var (path, peer) in publicReads)
        {
            var response = await _api.Get(path, peer);
            Assert.True((int)response.Status < 500, $"{path}: {response}");
            foreach (var secret in secrets)
            {
                Assert.False(response.Text.Contains(secret, StringComparison.Ordinal), $"{path} as {peer?.Id ?? "anonymous"} leaks a secret: {response.Text}");
            }
        }
        var discovered = (await _api.DiscoverOk(topic)).GetProperty("offers").EnumerateArray().Single();
        Assert.True(discovered.GetProperty("hasSecret").GetBoolean());
        Assert.False(discovered.TryGetProperty("secret", out _));

        // The owner, and only the owner, gets its secrets back.
        var mine = (await _api.Get("/offers/mine", owner)).Text;
        Assert.Contains(open, mine);
        Assert.Contains(answered, mine);

        // Logs: every category down to Debug (what an operator may turn on), captured since the gateway started.
        var logs = gateway.Logs.Entries.Where(e => e.Level >= LogLevel.Debug).ToArray();
        Assert.True(logs.Length > 20, $"the log capture saw only {logs.Length} entries");
        Assert.Contains(logs, l => l.Text.Contains("/offers/mine", StringComparison.Ordinal)); // request logging reached the capture
        foreach (var needle in secrets.Concat(Credentials(owner, answerer, stranger)))
        {
            var leak = logs.FirstOrDefault(l => l.Text.Contains(needle, StringComparison.Ordinal));
            Assert.True(leak is null, $"a log entry contains a secret ({needle[..6]}…): {leak}");
        }
    }

    private static string[] Credentials(params Peer[] peers) =>
    [
        .. peers.Select(p => p.Secret),
        SecurityGatewayFixture.AuthSecret,
        SecurityGatewayFixture.AuthSecret.ToUpperInvariant(),
        Convert.ToBase64String(Convert.FromHexString(SecurityGatewayFixture.AuthSecret)),
    ];

    /// <summary>Trace too: Orleans' messaging traces print grain call arguments and results with their
    /// <c>ToString()</c>, and a record's prints every property, <c>Secret</c> included.</summary>
    [Fact]
    public async Task Not_even_Trace_logging_contains_an_offers_secret_or_a_credential()
    {
        var owner = await _api.Register();
        var answerer = await _api.Register();
        var secret = "SECRET-TRACE-" + Guid.NewGuid().ToString("N");
        var id = await _api.PublishOneOk(owner, Api.Unique("trace"), secret: secret);
        await _api.AnswerOk(answerer, id, secret: secret);
        Assert.Contains(secret, (await _api.Get("/offers/mine", owner)).Text);

        var logs = gateway.Logs.Entries.ToArray();
        Assert.Contains(logs, l => l.Level == LogLevel.Trace);
        foreach (var needle in Credentials(owner, answerer).Prepend(secret))
        {
            var leaks = logs.Where(l => l.Text.Contains(needle, StringComparison.Ordinal)).ToArray();
            Assert.True(leaks.Length == 0,
                $"{leaks.Length} log entries contain a secret ({needle[..6]}…), in categories " +
                $"{string.Join(", ", leaks.Select(l => $"{l.Level} {l.Category}").Distinct())}; first: {leaks.FirstOrDefault()}");
        }
    }

    [Fact]
    public async Task Errors_never_echo_a_credential()
    {
        var peer = await _api.Register();
        var bad = new Peer(peer.Id, peer.Secret[..^2] + "xx");
        foreach (var response in new[]
        {
            await _api.Get("/offers/mine", bad),
            await _api.Get("/offers/mine", new Peer("not-hex", peer.Secret)),
            await _api.Send(HttpMethod.Get, "/offers/mine", null, "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes(peer.Secret))),
        })
        {
            var message = Expect.Error(response, HttpStatusCode.Unauthorized);
            Assert.DoesNotContain(peer.Secret[..10], message);
            Assert.DoesNotContain(SecurityGatewayFixture.AuthSecret[..10], message, StringComparison.OrdinalIgnoreCase);
        }
    }
}
