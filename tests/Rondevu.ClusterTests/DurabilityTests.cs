namespace Rondevu.ClusterTests;

public sealed partial class ClusterTests
{
    private static readonly Dictionary<string, string[]> ByIdentity = new()
    {
        ["offers"] = ["id"],
        ["answers"] = ["offerId"],
        ["iceCandidates"] = ["offerId", "role", "createdAt"],
        ["topics"] = [],
    };

    /// <summary>
    /// Everything lives in PostgreSQL: offers, answers and candidates survive stopping every silo and
    /// every gateway and starting them again — same ids, same bodies on every read route (compared as
    /// JSON), the push mailboxes included — while an offer that expired during the outage is gone, its
    /// rows removed by its owner's persisted sweep reminder.
    /// </summary>
    [Fact, Order(5)]
    public async Task Offers_answers_and_candidates_survive_restart_of_every_silo_and_gateway()
    {
        var db = Db;
        var alice = await G1.RegisterAsync();
        var bob = await G2.RegisterAsync();
        var carol = await G2.RegisterAsync();
        string roomTopic = $"durable-{_run}-room", otherTopic = $"durable-{_run}-other";

        // o1: answered by bob, candidates both ways. o2: unanswered, with secret and info. o3 (bob's): answered by carol.
        var o1 = await G1.CreateOfferOkAsync(alice, "sdp-o1", [roomTopic, otherTopic]);
        var o2 = await G1.CreateOfferOkAsync(alice, "sdp-o2", [roomTopic], secret: "s3cret", info: "second");
        var o3 = await G2.CreateOfferOkAsync(bob, "sdp-o3", [otherTopic]);
        Assert.True((await G2.AnswerAsync(bob, o1, "answer-o1")).Ok);
        Assert.True((await G1.AnswerAsync(carol, o3, "answer-o3")).Ok);
        Assert.True((await G2.PostCandidatesAsync(bob, o1, Candidate("bob", 1), Candidate("bob", 2))).Ok);
        Assert.True((await G1.PostCandidatesAsync(alice, o1, Candidate("alice", 1))).Ok);
        Assert.True((await G1.PostCandidatesAsync(alice, o1, Candidate("alice", 2))).Ok);
        Assert.True((await G2.PostCandidatesAsync(carol, o3, Candidate("carol", 1))).Ok);

        var before = await DurableSnapshotAsync(alice, bob, carol, o1, o3, roomTopic, otherTopic);
        Assert.Contains(o2, before["GET /offers/by-topic/room"]);
        Assert.Contains("bob", before["GET /offers/o1/ice-candidates (alice)"]);

        // An offer meant to expire while the cluster is down; its owner's sweep reminder, now due at its
        // expiry, must survive the outage.
        var shortLived = await G1.CreateOfferAsync(alice, "sdp-short", [$"durable-{_run}-short"], ttl: 6_000);
        Assert.True(shortLived.Ok, shortLived.ToString());
        var o4 = (string)shortLived.Json["offers"]![0]!["id"]!;
        var o4ExpiresAt = (long)shortLived.Json["offers"]![0]!["expiresAt"]!;

        var stop = await cluster.RunScriptAsync(TimeSpan.FromMinutes(2), "stop-all");
        Assert.True(stop.ExitCode == 0, $"stop-all: {stop.Output}");
        Assert.False(await ClusterFixture.HealthyAsync(cluster.GatewayPorts[0]), "gateway 1 still answers after stop-all");
        var startBegan = NowMs;
        var start = await cluster.RunScriptAsync(TimeSpan.FromMinutes(3), "start-all");
        Assert.True(start.ExitCode == 0, $"start-all: {start.Output}\n{cluster.LogTails()}");
        Report($"stop-all took {stop.Elapsed.TotalSeconds:F1} s, start-all {start.Elapsed.TotalSeconds:F1} s");

        var untilExpired = o4ExpiresAt - NowMs + 50;
        if (untilExpired > 0) await Task.Delay(TimeSpan.FromMilliseconds(untilExpired));

        // Reads right after the restart may meet activations still loading: retry 5xx only, briefly.
        // Every difference is collected, so that one failure doesn't hide the others.
        var problems = new List<string>();
        var after = await DurableSnapshotAsync(alice, bob, carol, o1, o3, roomTopic, otherTopic, retry: true);
        foreach (var (route, json) in before)
        {
            if (json != after[route]) problems.Add($"{route} changed across the restart\n  before: {json}\n  after:  {after[route]}");
        }

        // The restarted cluster keeps working on the recovered state: o2 can still be answered (secret checked), once.
        var dave = await G2.RegisterAsync();
        Assert.Equal(403, (await G2.AnswerAsync(dave, o2, "wrong", secret: "nope")).Status);
        Assert.Equal(200, (await G1.AnswerAsync(dave, o2, "right", secret: "s3cret")).Status);
        Assert.Equal(409, (await G2.AnswerAsync(carol, o2, "late", secret: "s3cret")).Status);
        Assert.Equal(409, (await G2.AnswerAsync(carol, o1, "late")).Status);

        // The expired one is gone from every listing at once...
        Assert.True(NowMs > o4ExpiresAt);
        if ((await G2.GetAsync("/offers/mine", alice)).Body.Contains(o4)) problems.Add("expired offer listed by /offers/mine");
        if ((await G1.GetAsync($"/peers/{alice.Id}/offers")).Body.Contains(o4)) problems.Add("expired offer listed by /peers/{id}/offers");
        if ((await G1.GetAsync($"/offers/by-topic/durable-{_run}-short")).Body.Contains(o4)) problems.Add("expired offer listed by /offers/by-topic");

        // ...and the sweep, which every silo's start wakes, removes its row. Should the sweeper have to wait for
        // its reminder instead, that comes at the next period boundary of Orleans' one-minute minimum
        // (LocalReminderService.CalculateNextTickTime), so allow expiresAt + 1 min + slack.
        var cleanupDeadline = DateTimeOffset.FromUnixTimeMilliseconds(o4ExpiresAt) + TimeSpan.FromSeconds(60) + ReminderSlack;
        var topicListedUntil = (long?)null;
        var left = new List<string>();
        while (true)
        {
            left.Clear();
            if (await db.OfferRowsAsync(o4) > 0) left.Add("offer row");
            var topics = await G1.GetAsync($"/topics?startsWith=durable-{_run}-short");
            if (!topics.Ok || (int)topics.Json["total"]! != 0) { left.Add($"GET /topics lists its topic: {topics}"); topicListedUntil = NowMs; }
            if (left.Count == 0 || DateTimeOffset.UtcNow > cleanupDeadline) break;
            await Task.Delay(500);
        }
        if (await db.ReminderRowsAsync("offersweeper") != 1) problems.Add("the sweeper's reminder row is not there exactly once");
        Report($"expired offer (expired {(o4ExpiresAt < startBegan ? "while no silo ran" : "during or after start-all")}): " +
            $"{(left.Count == 0 ? "every trace removed" : "traces left")} {(NowMs - o4ExpiresAt) / 1000.0:F1} s after its expiresAt" +
            (topicListedUntil is { } until ? $"; GET /topics still listed its topic {(until - o4ExpiresAt) / 1000.0:F1} s after expiresAt" : ""));
        if (left.Count > 0) problems.Add($"expired offer still has: {string.Join(", ", left)}, {(NowMs - o4ExpiresAt) / 1000.0:F0} s after expiresAt");

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>Every read route's JSON, canonical (arrays in a fixed order, the poll cursor left out).</summary>
    private async Task<Dictionary<string, string>> DurableSnapshotAsync(
        Peer alice, Peer bob, Peer carol, string o1, string o3, string roomTopic, string otherTopic, bool retry = false)
    {
        var reads = new (string Name, Gateway Gateway, string Path, Peer? Peer)[]
        {
            ("GET /offers/mine (alice)", G1, "/offers/mine", alice),
            ("GET /offers/mine (bob)", G2, "/offers/mine", bob),
            ("GET /peers/alice/offers", G2, $"/peers/{alice.Id}/offers", null),
            ("GET /peers/bob/offers", G1, $"/peers/{bob.Id}/offers", null),
            ("GET /offers/answers (alice)", G2, "/offers/answers", alice),
            ("GET /offers/answers (bob)", G1, "/offers/answers", bob),
            ("GET /offers/o1/ice-candidates (alice)", G1, $"/offers/{o1}/ice-candidates", alice),
            ("GET /offers/o1/ice-candidates (bob)", G2, $"/offers/{o1}/ice-candidates?since=0", bob),
            ("GET /offers/o3/ice-candidates (bob)", G1, $"/offers/{o3}/ice-candidates", bob),
            ("GET /offers/o3/ice-candidates (carol)", G2, $"/offers/{o3}/ice-candidates", carol),
            ("GET /offers/by-topic/room", G2, $"/offers/by-topic/{roomTopic}", null),
            ("GET /offers/by-topic/other", G1, $"/offers/by-topic/{otherTopic}", null),
            ("GET /topics", G1, $"/topics?startsWith=durable-{_run}", null),
            ("GET /poll (alice)", G2, "/poll?since=0", alice),
            ("GET /poll (bob)", G1, "/poll?since=0", bob),
            ("GET /poll (carol)", G2, "/poll?since=0", carol),
        };
        var snapshot = new Dictionary<string, string>();
        foreach (var (name, gateway, path, peer) in reads)
        {
            var reply = retry
                ? await Eventually.ReadAsync(() => gateway.GetAsync(path, peer), TimeSpan.FromSeconds(30))
                : await gateway.GetAsync(path, peer);
            Assert.True(reply.Ok, $"{name}: {reply}");
            snapshot[name] = Json.Canonical(reply.Body, ByIdentity, "timestamp");
        }
        return snapshot;
    }
}
