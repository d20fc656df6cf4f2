using System.Globalization;

namespace Rondevu.ComposeTests;

/// <summary>
/// docker-compose.yml started for real by scripts/compose.sh: used through the load balancer and each
/// gateway's own port, a silo container killed, every container stopped and started again, and taken
/// down. The tests run in a fixed order on the one deployment (<see cref="ByOrder"/>): the disruptive
/// ones last.
/// </summary>
[Collection(ComposeCollection.Name)]
[TestCaseOrderer(ByOrder.TypeName, ByOrder.AssemblyName)]
public sealed class ComposeTests(ComposeFixture compose, ITestOutputHelper output)
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    private Gateway Lb => compose.Balancer;
    private Gateway G1 => compose.G1;
    private Gateway G2 => compose.G2;

    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>A whole WebRTC signaling handshake, and every main route of the contract, through nginx.</summary>
    [Fact, Order(1)]
    public async Task Full_handshake_and_the_main_routes_work_through_the_load_balancer()
    {
        Assert.Equal("Rondevu", (string?)(await OkAsync(Lb.GetAsync("/"))).Json["name"]);
        Assert.Equal("ok", (string?)(await OkAsync(Lb.GetAsync("/health"))).Json["status"]);
        await OkAsync(Lb.GetAsync("/health/ready"));

        var alice = await Lb.RegisterAsync();
        var bob = await Lb.RegisterAsync();
        var topic = $"handshake-{_run}";
        var offerId = await Lb.CreateOfferOkAsync(alice, "offer-sdp", [topic, $"{topic}-b"], info: "hello");

        var found = (await OkAsync(Lb.GetAsync($"/offers/by-topic/{topic}"))).Json;
        Assert.Equal(offerId, (string?)found["offers"]![0]!["id"]);
        Assert.Equal("offer-sdp", (string?)found["offers"]![0]!["sdp"]);
        var topics = (await OkAsync(Lb.GetAsync($"/topics?startsWith={topic}"))).Json;
        Assert.Equal(2, (int)topics["total"]!);
        Assert.Contains(offerId, (await OkAsync(Lb.GetAsync($"/peers/{alice.Id}/offers"))).Body);
        Assert.Contains(offerId, (await OkAsync(Lb.GetAsync("/offers/mine", alice))).Body);
        Assert.Equal(offerId, (string?)(await OkAsync(Lb.SendAsync(HttpMethod.Put, $"/offers/{offerId}/heartbeat", peer: alice))).Json["offerId"]);

        await OkAsync(Lb.AnswerAsync(bob, offerId, "answer-sdp"));
        var answers = (await OkAsync(Lb.GetAsync("/offers/answers", alice))).Json["answers"]!.AsArray();
        Assert.Equal("answer-sdp", (string?)Assert.Single(answers)!["sdp"]);
        Assert.Equal(bob.Id, (string?)answers[0]!["answererId"]);

        var fromAlice = Ice.Candidate($"alice-{_run}", 1);
        var fromBob = Ice.Candidate($"bob-{_run}", 2);
        await OkAsync(Lb.PostCandidatesAsync(alice, offerId, fromAlice));
        await OkAsync(Lb.PostCandidatesAsync(bob, offerId, fromBob));
        Assert.Equal([fromBob], Json.CandidateTexts((await OkAsync(Lb.GetAsync($"/offers/{offerId}/ice-candidates", alice))).Body));
        Assert.Equal([fromAlice], Json.CandidateTexts((await OkAsync(Lb.GetAsync($"/offers/{offerId}/ice-candidates", bob))).Body));

        Assert.True((bool)(await OkAsync(Lb.SendAsync(HttpMethod.Delete, $"/offers/{offerId}", peer: alice))).Json["deleted"]!);
        Assert.DoesNotContain(offerId, (await OkAsync(Lb.GetAsync("/offers/mine", alice))).Body);
    }

    /// <summary>Gateways share nothing but the silos: what one gateway acknowledged, the other and the
    /// balancer (round robin over both) return at once.</summary>
    [Fact, Order(2)]
    public async Task Offer_written_through_one_gateway_is_read_through_the_other_and_the_balancer()
    {
        var alice = await G1.RegisterAsync();
        var bob = await G2.RegisterAsync();
        var topic = $"across-{_run}";
        var offerId = await G1.CreateOfferOkAsync(alice, "across-sdp", [topic]);

        Assert.Contains(offerId, (await OkAsync(G2.GetAsync($"/offers/by-topic/{topic}"))).Body);
        Assert.Contains(offerId, (await OkAsync(G2.GetAsync("/offers/mine", alice))).Body);
        // Four reads through the balancer reach both gateways.
        for (var i = 0; i < 4; i++)
        {
            Assert.Contains(offerId, (await OkAsync(Lb.GetAsync($"/offers/by-topic/{topic}"))).Body);
        }

        await OkAsync(Lb.AnswerAsync(bob, offerId, "across-answer"));
        Assert.Contains("across-answer", (await OkAsync(G2.GetAsync("/offers/answers", alice))).Body);
        Assert.Contains("across-answer", (await OkAsync(G1.GetAsync("/offers/answers", alice))).Body);
        var candidate = Ice.Candidate($"across-{_run}", 1);
        await OkAsync(G2.PostCandidatesAsync(bob, offerId, candidate));
        Assert.Equal([candidate], Json.CandidateTexts((await OkAsync(G1.GetAsync($"/offers/{offerId}/ice-candidates", alice))).Body));

        // Written through the balancer, read from each gateway directly.
        var second = await Lb.CreateOfferOkAsync(bob, "second-sdp", [topic]);
        Assert.Contains(second, (await OkAsync(G1.GetAsync($"/offers/by-topic/{topic}"))).Body);
        Assert.Contains(second, (await OkAsync(G2.GetAsync($"/offers/by-topic/{topic}"))).Body);
    }

    /// <summary>nginx's proxy timeouts let a long poll run its longest wait (30 s) and return its empty
    /// answer, while a poll through the balancer is released at once by an answer posted on a gateway.</summary>
    [Fact, Order(3)]
    public async Task Long_poll_of_the_longest_wait_is_not_cut_by_the_balancer_and_news_release_it()
    {
        var alice = await G1.RegisterAsync();
        var bob = await G2.RegisterAsync();
        var idle = await G1.RegisterAsync();
        var offerId = await G1.CreateOfferOkAsync(alice, "poll-sdp", [$"poll-{_run}"]);
        var since = NowMs;

        var quiet = Lb.GetAsync($"/offers/answers?since={since}&wait=30", idle);
        var released = Lb.GetAsync($"/offers/answers?since={since}&wait=30", alice);
        await GatewaysHoldingAsync(2);
        await OkAsync(G2.AnswerAsync(bob, offerId, "poll-answer"));

        var news = await released;
        Assert.True(news.Ok, $"released poll: {news}");
        Assert.Contains("poll-answer", news.Body);
        Assert.True(news.Elapsed < TimeSpan.FromSeconds(20), $"the answer released the poll only after {news.Elapsed.TotalSeconds:F1} s");

        var nothing = await quiet;
        output.WriteLine($"the idle poll returned after {nothing.Elapsed.TotalSeconds:F1} s: {nothing}");
        Assert.True(nothing.Ok, $"a 30 s wait through the balancer: {nothing}");
        Assert.Empty(nothing.Json["answers"]!.AsArray());
        Assert.True(nothing.Elapsed >= TimeSpan.FromSeconds(29), $"the idle poll returned after {nothing.Elapsed.TotalSeconds:F1} s, before its wait");
    }

    /// <summary>nginx keeps connections to the gateways open between requests (upstream keep-alive): after
    /// 40 requests, each gateway has an idle connection from the balancer still open and saw far fewer
    /// connections than requests.</summary>
    [Fact, Order(4)]
    public async Task Balancer_reuses_its_connections_to_the_gateways()
    {
        const int requests = 40;
        for (var i = 0; i < requests; i++)
        {
            await OkAsync(Lb.GetAsync("/health"));
        }
        // /proc/net/tcp names addresses as little-endian hex: 172.30.x.10 is 0A x 1E AC.
        var balancer = string.Concat(compose.BalancerAddress.Split('.').Reverse().Select(b => int.Parse(b, CultureInfo.InvariantCulture).ToString("X2")));
        foreach (var service in new[] { "gateway1", "gateway2" })
        {
            var table = await compose.DockerAsync("exec", await compose.ContainerAsync(service), "cat", "/proc/net/tcp");
            var fromBalancer = table.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length > 3 && f[1].EndsWith(":0BB8", StringComparison.Ordinal) && f[2].StartsWith(balancer + ":", StringComparison.Ordinal))
                .ToArray();
            var open = fromBalancer.Count(f => f[3] == "01");
            output.WriteLine($"{service}: {fromBalancer.Length} connections from the balancer, {open} open");
            Assert.True(open >= 1, $"{service} has no open connection from the balancer after {requests} requests");
            Assert.True(fromBalancer.Length < requests / 4, $"{service} saw {fromBalancer.Length} connections from the balancer for {requests} requests");
        }
    }

    /// <summary>A silo container killed (docker kill) in the middle of traffic through gateway 1 and the
    /// balancer loses no acknowledged offer, answer or candidate, and every answer race keeps one winner
    /// (<see cref="FailoverScenario"/>); once the silo is restarted, a race is clean again.</summary>
    [Fact, Order(5)]
    public async Task Killed_silo_container_loses_no_acknowledged_write_and_races_keep_one_winner()
    {
        var scenario = new FailoverScenario(G1, Lb, _run, Report);
        try
        {
            await scenario.RunAsync(async () =>
            {
                var kill = await compose.RunScriptAsync(TimeSpan.FromMinutes(1), "kill-silo", "2");
                Assert.True(kill.ExitCode == 0, $"kill-silo 2: {kill.Output}");
            });
        }
        catch
        {
            Report(await compose.LoggedErrorsAsync());
            throw;
        }

        var restart = await compose.RunScriptAsync(TimeSpan.FromMinutes(3), "restart-silo", "2");
        Assert.True(restart.ExitCode == 0, $"restart-silo 2: {restart.Output}");
        Report($"restart-silo 2 took {restart.Elapsed.TotalSeconds:F1} s");
        await scenario.AssertCleanRaceAsync(G1);
    }

    /// <summary>Every container stopped and started again on the same PostgreSQL volume: every read route
    /// returns what it did before (<see cref="DurableState"/>), and the deployment goes on from there.</summary>
    [Fact, Order(6)]
    public async Task Every_read_route_returns_the_same_after_stop_all_and_start_all()
    {
        var state = await DurableState.CreateAsync(Lb, G2, $"durable-{_run}");
        var before = await state.SnapshotAsync();

        var stop = await compose.RunScriptAsync(TimeSpan.FromMinutes(3), "stop-all");
        Assert.True(stop.ExitCode == 0, $"stop-all: {stop.Output}");
        Assert.Equal(0, (await Lb.GetAsync("/health")).Status);
        Assert.Equal(0, (await G1.GetAsync("/health")).Status);
        var start = await compose.RunScriptAsync(TimeSpan.FromMinutes(10), "start-all");
        Assert.True(start.ExitCode == 0, $"start-all: {start.Output}");
        Report($"stop-all took {stop.Elapsed.TotalSeconds:F1} s, start-all {start.Elapsed.TotalSeconds:F1} s");

        var changes = DurableState.Changes(before, await state.SnapshotAsync(retry: true));
        Assert.True(changes.Count == 0, string.Join("\n", changes));

        // The recovered offer o2 can still be answered, once, its secret checked.
        var dave = await G1.RegisterAsync();
        Assert.Equal(403, (await Lb.AnswerAsync(dave, state.O2, "wrong", secret: "nope")).Status);
        Assert.Equal(200, (await G1.AnswerAsync(dave, state.O2, "right", secret: "s3cret")).Status);
        Assert.Equal(409, (await G2.AnswerAsync(state.Carol, state.O2, "late", secret: "s3cret")).Status);
    }

    /// <summary>
    /// The gateways see the client's address, not nginx's, and only nginx can name it: with
    /// <c>TRUSTED_PROXIES</c> set to the balancer alone, a client that used up its registrations on both
    /// gateways directly is refused through the balancer too (its X-Forwarded-For names the same client),
    /// and a forged X-Forwarded-For helps neither through the balancer (nginx appends the real address,
    /// the one the gateway takes) nor directly (a gateway ignores it from anyone but the balancer).
    /// Runs late: it uses up this client's registrations for up to a minute.
    /// </summary>
    [Fact, Order(7)]
    public async Task Client_ip_reaches_the_gateways_through_X_Forwarded_For_of_the_balancer_only()
    {
        using var http = new HttpClient { Timeout = Gateway.Timeout };
        async Task<int> RegisterAsync(Gateway gateway, string? forwardedFor = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway.BaseAddress, "/register"))
            {
                Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json"),
            };
            if (forwardedFor is not null) request.Headers.Add("X-Forwarded-For", forwardedFor);
            using var response = await http.SendAsync(request);
            return (int)response.StatusCode;
        }
        async Task ExhaustAsync(Gateway gateway)
        {
            for (var i = 0; i <= ComposeFixture.RegisterLimit; i++)
            {
                if (await RegisterAsync(gateway) == 429) return;
            }
            Assert.Fail($"{gateway}: no 429 after {ComposeFixture.RegisterLimit + 1} registrations");
        }

        // The limit's window is a fixed minute per gateway: if one rolls over between using the budget up
        // and the checks, the checks prove nothing, so the round is repeated.
        for (var round = 1; ; round++)
        {
            await ExhaustAsync(G1);
            await ExhaustAsync(G2);
            var throughBalancer = new List<int>();
            for (var i = 0; i < 4; i++) throughBalancer.Add(await RegisterAsync(Lb));
            for (var i = 0; i < 4; i++) throughBalancer.Add(await RegisterAsync(Lb, forwardedFor: "203.0.113.7"));
            var forgedDirect = await RegisterAsync(G1, forwardedFor: "203.0.113.8");
            var stillExhausted = await RegisterAsync(G1) == 429 && await RegisterAsync(G2) == 429;
            if (!stillExhausted && round < 3)
            {
                output.WriteLine($"round {round}: a gateway's rate-limit window rolled over during the checks; again");
                continue;
            }
            Assert.True(stillExhausted, "the gateways' rate-limit windows kept rolling over during the checks");
            Assert.True(throughBalancer.All(s => s == 429),
                $"registrations through the balancer after the client used its budget on both gateways: {string.Join(",", throughBalancer)} (429 expected: the gateways must see the client, not nginx)");
            Assert.Equal(429, forgedDirect);
            return;
        }
    }

    /// <summary><c>compose.sh down</c> removes every container, network and volume of the project.</summary>
    [Fact, Order(8)]
    public async Task Down_leaves_no_container_network_or_volume_of_the_project()
    {
        Assert.NotEmpty(await compose.ObjectsAsync("volume"));
        var down = await compose.DownAsync();
        Assert.True(down.ExitCode == 0, $"compose.sh down: {down.Output}");
        Report($"down took {down.Elapsed.TotalSeconds:F1} s");
        foreach (var kind in new[] { "container", "network", "volume" })
        {
            var left = await compose.ObjectsAsync(kind);
            Assert.True(left.Length == 0, $"{kind}s of project {compose.Project} left after down: {string.Join(", ", left)}");
        }
        Assert.Equal(0, (await Lb.GetAsync("/health")).Status);
    }

    /// <summary>Returns once the gateways together hold <paramref name="count"/> GET requests (ASP.NET's
    /// http_server_active_requests; each scrape counts itself), so the news is written after the polls arrived.</summary>
    private async Task GatewaysHoldingAsync(int count)
    {
        await Eventually.HoldsAsync($"{count} polls held by the gateways", TimeSpan.FromSeconds(20), async () =>
        {
            var held = 0;
            foreach (var gateway in new[] { G1, G2 })
            {
                var metrics = await OkAsync(gateway.GetAsync("/metrics"));
                var line = metrics.Body.Split('\n').FirstOrDefault(l =>
                    l.StartsWith("http_server_active_requests{", StringComparison.Ordinal) && l.Contains("http_request_method=\"GET\"", StringComparison.Ordinal));
                held += line is null ? 0 : int.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) - 1;
            }
            return held >= count ? null : $"{held} held";
        }, TimeSpan.FromMilliseconds(100));
    }

    private static async Task<Reply> OkAsync(Task<Reply> request)
    {
        var reply = await request;
        Assert.True(reply.Ok, reply.ToString());
        return reply;
    }

    private void Report(string line)
    {
        output.WriteLine(line);
        compose.Log(line);
    }
}
