namespace Rondevu.Bench;

/// <summary>
/// N virtual peer pairs, each running complete signaling handshakes back to back for the window.
///
/// Pull (default), 11 requests, in the order a real pair needs them:
///   offerer  POST /offers (1 offer, 2 topics: the pair's own and one shared by all pairs, ~1.5 KB SDP)
///   answerer GET /offers/by-topic/{pair topic}?limit=50 (must list the offer)
///   answerer POST /offers/{id}/answer
///   answerer POST /offers/{id}/ice-candidates ×2 (one candidate each, concurrently, like the 0.7 client)
///   offerer  GET /offers/answers (must contain the answer)
///   offerer  POST /offers/{id}/ice-candidates ×2 (concurrently)
///   both     GET /offers/{id}/ice-candidates?since=0 (concurrently; each must see the other side's 2)
///   offerer  DELETE /offers/{id}
/// Push (--push): the same writes, but the offerer learns of the answer and both sides of the other's
/// candidates through GET /poll?since=cursor&amp;wait=S held requests, started before the news exists.
/// </summary>
public static class HandshakeMode
{
    private const string RCreate = "POST /offers";
    private const string RDiscover = "GET /offers/by-topic/{topic}";
    private const string RAnswer = "POST /offers/{id}/answer";
    private const string RIcePost = "POST /offers/{id}/ice-candidates";
    private const string RAnswers = "GET /offers/answers";
    private const string RIceGet = "GET /offers/{id}/ice-candidates";
    private const string RDelete = "DELETE /offers/{id}";
    private const string RPoll = "GET /poll";

    private sealed class Pair
    {
        public required int Index;
        public required Peer Offerer;
        public required Peer Answerer;
        public required string TopicPath;
        public required byte[] CreateBody;
        public required byte[] AnswerBody;
        public required byte[][] OffererIce;
        public required byte[][] AnswererIce;
        public long OffererCursor;
        public long AnswererCursor;
    }

    /// <summary>What one side has learnt about one offer through /poll.</summary>
    private sealed class Seen
    {
        public bool Answered;
        public double AnsweredAtS;
        public int Candidates;
    }

    public static async Task<Dictionary<string, object?>> RunAsync(Options o)
    {
        var recorder = new Recorder();
        using var api = new Api(recorder);
        string run = Payloads.RandomHex(4);
        string sharedTopic = $"bench/{run}/all";
        string UrlFor(int pair, bool answerer) => o.Urls[(pair + (answerer && o.Cross ? 1 : 0)) % o.Urls.Count];

        Console.WriteLine($"handshake{(o.Push ? " --push" : "")}: {o.Pairs} pairs, {o.Warmup}s warm-up + {o.Duration}s, SDP {o.SdpSize} chars, {string.Join(" ", o.Urls)}");
        var peers = await api.RegisterPoolAsync(2 * o.Pairs, i => UrlFor(i / 2, i % 2 == 1));
        var pairs = Enumerable.Range(0, o.Pairs).Select(i =>
        {
            string topic = $"bench/{run}/pair-{i}";
            var ufragO = Payloads.RandomHex(2);
            var ufragA = Payloads.RandomHex(2);
            return new Pair
            {
                Index = i,
                Offerer = peers[2 * i],
                Answerer = peers[2 * i + 1],
                TopicPath = Payloads.Topic(topic),
                CreateBody = Payloads.CreateOffers([(Payloads.Sdp(o.SdpSize, "offer"), new[] { topic, sharedTopic })], 60_000),
                AnswerBody = Payloads.Answer(Payloads.Sdp(o.SdpSize, "answer")),
                OffererIce = [Payloads.IceCandidate(0, ufragO), Payloads.IceCandidate(1, ufragO)],
                AnswererIce = [Payloads.IceCandidate(2, ufragA), Payloads.IceCandidate(3, ufragA)],
            };
        }).ToArray();

        long completed = 0, failed = 0, completedTotal = 0, attemptedTotal = 0;
        var handshakeMs = new Samples();
        var requestsPerHandshake = new Samples();
        var timeToAnsweredMs = new Samples();
        var createToAnsweredMs = new Samples();

        async Task Worker(Pair pair)
        {
            while (!recorder.WindowOver)
            {
                double start = recorder.NowS;
                Interlocked.Increment(ref attemptedTotal);
                var outcome = o.Push ? await PushHandshake(api, o, pair) : await PullHandshake(api, pair);
                double end = recorder.NowS;
                if (outcome.Ok) Interlocked.Increment(ref completedTotal);
                if (!recorder.InWindow(end)) continue;
                if (outcome.Ok)
                {
                    Interlocked.Increment(ref completed);
                    handshakeMs.Add((end - start) * 1000);
                    requestsPerHandshake.Add(outcome.Requests);
                    if (outcome.TimeToAnsweredMs is { } t) timeToAnsweredMs.Add(t);
                    if (outcome.CreateToAnsweredMs is { } c) createToAnsweredMs.Add(c);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    recorder.Failure(outcome.Failure ?? "unknown");
                }
                if (!outcome.Ok)
                {
                    // Don't spin on a failing server: failures are counted, not multiplied.
                    await Task.Delay(50);
                }
            }
        }

        var proc = await ProcMonitor.MeasureWindowAsync(o, recorder, pairs.Select(p => (Func<Task>)(() => Worker(p))), o.Warmup);
        double window = o.Duration;

        var routes = recorder.Routes.Select(r => r.Summarize(window)).ToList();
        long requests = routes.Sum(r => r.Count);
        long non2xx = routes.Sum(r => r.Non2xx);
        long errors = routes.Sum(r => r.Errors);
        double hps = completed / window;

        Console.WriteLine($"  handshakes: {completed} ok, {failed} failed → {Report.F(hps)} handshakes/s; {requests} requests → {Report.F(requests / window)} req/s");
        var hs = handshakeMs.Summary();
        Console.WriteLine($"  handshake latency ms: p50 {hs["p50"]} p95 {hs["p95"]} p99 {hs["p99"]} max {hs["max"]}");
        var rph = requestsPerHandshake.Summary();
        Console.WriteLine($"  requests per handshake (excluding register): mean {rph["mean"]} (max {rph["max"]})");
        if (o.Push)
        {
            var tta = timeToAnsweredMs.Summary();
            var cta = createToAnsweredMs.Summary();
            Console.WriteLine($"  time-to-answered ms (answer POST sent → offerer's /poll returns it): p50 {tta["p50"]} p95 {tta["p95"]} p99 {tta["p99"]}");
            Console.WriteLine($"  offer created → offerer knows the answer ms: p50 {cta["p50"]} p95 {cta["p95"]} p99 {cta["p99"]}");
        }
        Console.WriteLine($"  non-2xx {non2xx}, transport errors {errors}, flow failures {recorder.Failures}{(recorder.Failures > 0 ? " (" + string.Join(", ", recorder.FailureKinds.Select(kv => $"{kv.Key}×{kv.Value}")) + ")" : "")}");
        Report.Routes(routes);
        Report.Process(proc);
        Report.RateLimitHint(routes);

        return new Dictionary<string, object?>
        {
            ["push"] = o.Push,
            ["pairs"] = o.Pairs,
            ["durationS"] = window,
            ["warmupS"] = o.Warmup,
            ["sdpChars"] = o.SdpSize,
            ["cross"] = o.Urls.Count > 1 ? o.Cross : null,
            ["handshakes"] = completed,
            ["handshakesFailed"] = failed,
            ["handshakesPerSec"] = Math.Round(hps, 2),
            ["handshakesTotalIncludingWarmup"] = completedTotal,
            ["handshakesAttemptedIncludingWarmup"] = attemptedTotal,
            ["requests"] = requests,
            ["requestsPerSec"] = Math.Round(requests / window, 1),
            ["requestsPerHandshake"] = rph["mean"],
            ["handshakeMs"] = hs,
            ["timeToAnsweredMs"] = o.Push ? timeToAnsweredMs.Summary() : null,
            ["createToAnsweredMs"] = o.Push ? createToAnsweredMs.Summary() : null,
            ["non2xx"] = non2xx,
            ["errors"] = errors,
            ["flowFailures"] = recorder.Failures,
            ["flowFailureKinds"] = recorder.FailureKinds.Count > 0 ? recorder.FailureKinds : null,
            ["routes"] = Report.RoutesJson(routes),
            ["server"] = proc,
        };
    }

    private readonly record struct Outcome(bool Ok, int Requests, string? Failure, double? TimeToAnsweredMs = null, double? CreateToAnsweredMs = null);

    private static async Task<Outcome> PullHandshake(Api api, Pair p)
    {
        int requests = 0;
        var o = p.Offerer;
        var a = p.Answerer;
        Task<Response> Send(string route, HttpMethod method, Peer peer, string path, byte[]? body = null, bool auth = true)
        {
            Interlocked.Increment(ref requests);
            return api.SendAsync(route, method, peer.BaseUrl + path, auth ? peer.Bearer : null, body);
        }

        var created = await Send(RCreate, HttpMethod.Post, o, "/offers", p.CreateBody);
        if (!created.Ok) return new(false, requests, "create:" + created.Status);
        string id = OfferId(created);
        bool deleted = false;
        try
        {
            var found = await Send(RDiscover, HttpMethod.Get, a, $"/offers/by-topic/{p.TopicPath}?limit=50", auth: false);
            if (!found.Ok) return new(false, requests, "discover:" + found.Status);
            if (!ListsOffer(found, id)) return new(false, requests, "discover-missing-offer");

            var answered = await Send(RAnswer, HttpMethod.Post, a, $"/offers/{id}/answer", p.AnswerBody);
            if (!answered.Ok) return new(false, requests, "answer:" + answered.Status);

            var aIce = await Task.WhenAll(p.AnswererIce.Select(b => Send(RIcePost, HttpMethod.Post, a, $"/offers/{id}/ice-candidates", b)));
            if (aIce.FirstOrDefault(r => !r.Ok) is { Body: not null } badA) return new(false, requests, "ice-post:" + badA.Status);

            var answers = await Send(RAnswers, HttpMethod.Get, o, "/offers/answers");
            if (!answers.Ok) return new(false, requests, "answers:" + answers.Status);
            if (!HasAnswer(answers, id)) return new(false, requests, "answers-missing-answer");

            var oIce = await Task.WhenAll(p.OffererIce.Select(b => Send(RIcePost, HttpMethod.Post, o, $"/offers/{id}/ice-candidates", b)));
            if (oIce.FirstOrDefault(r => !r.Ok) is { Body: not null } badO) return new(false, requests, "ice-post:" + badO.Status);

            var reads = await Task.WhenAll(
                Send(RIceGet, HttpMethod.Get, o, $"/offers/{id}/ice-candidates?since=0"),
                Send(RIceGet, HttpMethod.Get, a, $"/offers/{id}/ice-candidates?since=0"));
            if (reads.FirstOrDefault(r => !r.Ok) is { Body: not null } badRead) return new(false, requests, "ice-get:" + badRead.Status);
            if (reads.Any(r => CandidateCount(r) != 2)) return new(false, requests, "ice-get-wrong-count");

            var del = await Send(RDelete, HttpMethod.Delete, o, $"/offers/{id}");
            deleted = true;
            if (!del.Ok) return new(false, requests, "delete:" + del.Status);
            return new(true, requests, null);
        }
        finally
        {
            if (!deleted) await Send(RDelete, HttpMethod.Delete, o, $"/offers/{id}");
        }
    }

    private static readonly bool Debug = Environment.GetEnvironmentVariable("BENCH_DEBUG") == "1";

    private static async Task<Outcome> PushHandshake(Api api, Options opts, Pair p)
    {
        int requests = 0;
        var o = p.Offerer;
        var a = p.Answerer;
        var rec = api.Recorder;
        Task<Response> Send(string route, HttpMethod method, Peer peer, string path, byte[]? body = null, bool auth = true)
        {
            Interlocked.Increment(ref requests);
            return api.SendAsync(route, method, peer.BaseUrl + path, auth ? peer.Bearer : null, body);
        }

        // Polls until `done` holds for what this side has seen of offer `id`; false on an error or after a deadline.
        async Task<string?> PollUntil(Peer peer, Func<long> cursor, Action<long> setCursor, string id, Seen seen, Func<Seen, bool> done)
        {
            double giveUp = rec.NowS + 3 * opts.WaitSeconds + 5;
            while (!done(seen))
            {
                if (rec.NowS > giveUp)
                {
                    if (Debug) Console.WriteLine($"DEBUG poll-timeout peer={peer.Id} offer={id} cursor={cursor()} answered={seen.Answered} candidates={seen.Candidates}");
                    return "poll-timeout";
                }
                var r = await Send(RPoll, HttpMethod.Get, peer, $"/poll?since={cursor()}&wait={opts.WaitSeconds}");
                if (!r.Ok) return "poll:" + r.Status;
                using var doc = r.Json();
                var root = doc.RootElement;
                if (Debug) Console.WriteLine($"DEBUG {rec.NowS:F3} poll peer={peer.Id[..6]} offer={id[..6]} since={cursor()} → {System.Text.Encoding.UTF8.GetString(r.Body)}");
                foreach (var answer in root.GetProperty("answers").EnumerateArray())
                {
                    if (answer.GetProperty("offerId").ValueEquals(id) && !seen.Answered)
                    {
                        seen.Answered = true;
                        seen.AnsweredAtS = r.EndS;
                    }
                }
                foreach (var candidate in root.GetProperty("iceCandidates").EnumerateArray())
                {
                    if (candidate.GetProperty("offerId").ValueEquals(id)) seen.Candidates++;
                }
                setCursor(root.GetProperty("timestamp").GetInt64());
            }
            return null;
        }

        var created = await Send(RCreate, HttpMethod.Post, o, "/offers", p.CreateBody);
        if (!created.Ok) return new(false, requests, "create:" + created.Status);
        double createdAt = created.EndS;
        string id = OfferId(created);
        bool deleted = false;
        var offererSeen = new Seen();
        var answererSeen = new Seen();
        Task<string?>? offererWait = null, answererWait = null;
        try
        {
            // The offerer starts waiting for its answer as soon as the offer exists.
            offererWait = PollUntil(o, () => p.OffererCursor, v => p.OffererCursor = v, id, offererSeen, s => s.Answered);

            var found = await Send(RDiscover, HttpMethod.Get, a, $"/offers/by-topic/{p.TopicPath}?limit=50", auth: false);
            if (!found.Ok) return new(false, requests, "discover:" + found.Status);
            if (!ListsOffer(found, id)) return new(false, requests, "discover-missing-offer");

            double answerSent = rec.NowS;
            var answered = await Send(RAnswer, HttpMethod.Post, a, $"/offers/{id}/answer", p.AnswerBody);
            if (!answered.Ok) return new(false, requests, "answer:" + answered.Status);

            // The answerer waits for the offerer's candidates while trickling its own.
            answererWait = PollUntil(a, () => p.AnswererCursor, v => p.AnswererCursor = v, id, answererSeen, s => s.Candidates >= 2);
            var aIce = await Task.WhenAll(p.AnswererIce.Select(b => Send(RIcePost, HttpMethod.Post, a, $"/offers/{id}/ice-candidates", b)));
            if (aIce.FirstOrDefault(r => !r.Ok) is { Body: not null } badA) return new(false, requests, "ice-post:" + badA.Status);

            if (await offererWait is { } offererFailure) return new(false, requests, offererFailure);
            double timeToAnswered = (offererSeen.AnsweredAtS - answerSent) * 1000;
            double createToAnswered = (offererSeen.AnsweredAtS - createdAt) * 1000;

            var oIce = await Task.WhenAll(p.OffererIce.Select(b => Send(RIcePost, HttpMethod.Post, o, $"/offers/{id}/ice-candidates", b)));
            if (oIce.FirstOrDefault(r => !r.Ok) is { Body: not null } badO) return new(false, requests, "ice-post:" + badO.Status);

            offererWait = PollUntil(o, () => p.OffererCursor, v => p.OffererCursor = v, id, offererSeen, s => s.Candidates >= 2);
            var waits = await Task.WhenAll(offererWait, answererWait);
            if (waits.FirstOrDefault(w => w is not null) is { } waitFailure) return new(false, requests, waitFailure);
            if (offererSeen.Candidates != 2 || answererSeen.Candidates != 2) return new(false, requests, "poll-wrong-candidate-count");

            var del = await Send(RDelete, HttpMethod.Delete, o, $"/offers/{id}");
            deleted = true;
            if (!del.Ok) return new(false, requests, "delete:" + del.Status);
            return new(true, requests, null, timeToAnswered, createToAnswered);
        }
        finally
        {
            if (!deleted)
            {
                await Send(RDelete, HttpMethod.Delete, o, $"/offers/{id}");
                // A held poll returns by itself within `wait`; don't leave it running into the next handshake.
                await Task.WhenAll(new[] { offererWait, answererWait }.Where(t => t is not null)!);
            }
        }
    }

    private static string OfferId(Response created)
    {
        using var doc = created.Json();
        return doc.RootElement.GetProperty("offers")[0].GetProperty("id").GetString()!;
    }

    private static bool ListsOffer(Response found, string id)
    {
        using var doc = found.Json();
        return doc.RootElement.GetProperty("offers").EnumerateArray().Any(e => e.GetProperty("id").ValueEquals(id));
    }

    private static bool HasAnswer(Response answers, string id)
    {
        using var doc = answers.Json();
        return doc.RootElement.GetProperty("answers").EnumerateArray().Any(e => e.GetProperty("offerId").ValueEquals(id));
    }

    private static int CandidateCount(Response r)
    {
        using var doc = r.Json();
        return doc.RootElement.GetProperty("candidates").GetArrayLength();
    }
}
