namespace Rondevu.ClusterTests;

public sealed partial class ClusterTests
{
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
        var state = await DurableState.CreateAsync(G1, G2, $"durable-{_run}");
        var (alice, carol, o1, o2) = (state.Alice, state.Carol, state.O1, state.O2);
        var before = await state.SnapshotAsync();

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
        var problems = DurableState.Changes(before, await state.SnapshotAsync(retry: true));

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
}
