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
    private const string RDelete = "DELETE /offers/{id}";

    private sealed record Pair(Peer Offerer, Peer Answerer, string TopicPath, byte[] CreateBody, byte[] AnswerBody, byte[][] OffererIce, byte[][] AnswererIce)
    {
        public long OffererCursor;
        public long AnswererCursor;
    }

    /// <summary>What one side has learnt about one offer through /poll.</summary>
    private sealed class Seen
    {
        public double? AnsweredAtS;
        public int Candidates;
    }

    /// <summary>A response that ends the handshake as failed; the message is the failure's kind.</summary>
    private sealed class FlowFailure(string kind) : Exception(kind);

    private readonly record struct Outcome(bool Ok, int Requests, string? Failure, double? TimeToAnsweredMs = null, double? CreateToAnsweredMs = null);

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
            string ufragO = Payloads.RandomHex(2), ufragA = Payloads.RandomHex(2);
            return new Pair(peers[2 * i], peers[2 * i + 1], Payloads.Topic(topic),
                Payloads.CreateOffers([(Payloads.Sdp(o.SdpSize, "offer"), new[] { topic, sharedTopic })], 60_000),
                Payloads.Answer(Payloads.Sdp(o.SdpSize, "answer")),
                [Payloads.IceCandidate(0, ufragO), Payloads.IceCandidate(1, ufragO)],
                [Payloads.IceCandidate(2, ufragA), Payloads.IceCandidate(3, ufragA)]);
        }).ToArray();

        long failed = 0, completedTotal = 0, attemptedTotal = 0;
        Samples handshakeMs = new(), requestsPerHandshake = new(), timeToAnsweredMs = new(), createToAnsweredMs = new();

        async Task Worker(Pair pair)
        {
            while (!recorder.WindowOver)
            {
                double start = recorder.NowS;
                Interlocked.Increment(ref attemptedTotal);
                var outcome = await Handshake(api, o, pair);
                double end = recorder.NowS;
                if (outcome.Ok) Interlocked.Increment(ref completedTotal);
                if (!recorder.InWindow(end)) continue;
                if (outcome.Ok)
                {
                    handshakeMs.Add((end - start) * 1000);
                    requestsPerHandshake.Add(outcome.Requests);
                    if (outcome.TimeToAnsweredMs is { } t) timeToAnsweredMs.Add(t);
                    if (outcome.CreateToAnsweredMs is { } c) createToAnsweredMs.Add(c);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    recorder.Failure(outcome.Failure!);
                    // Don't spin on a failing server: failures are counted, not multiplied.
                    await Task.Delay(50);
                }
            }
        }

        var proc = await ProcMonitor.MeasureWindowAsync(o, recorder, pairs.Length, i => Worker(pairs[i]), o.Warmup);
        double window = o.Duration;

        var routes = recorder.Routes.Select(r => r.Summarize(window)).ToList();
        long requests = routes.Sum(r => r.Count), non2xx = routes.Sum(r => r.Non2xx), errors = routes.Sum(r => r.Errors);
        var hs = handshakeMs.Summarize().Rounded();
        var rph = requestsPerHandshake.Summarize().Rounded();
        double hps = hs.Count / window;
        Console.WriteLine($"  handshakes: {hs.Count} ok, {failed} failed → {Report.F(hps)} handshakes/s; {requests} requests → {Report.F(requests / window)} req/s");
        Console.WriteLine($"  handshake latency ms: p50 {hs.P50} p95 {hs.P95} p99 {hs.P99} max {hs.Max}");
        Console.WriteLine($"  requests per handshake (excluding register): mean {rph.Mean} (max {rph.Max})");
        var tta = o.Push ? timeToAnsweredMs.Summarize().Rounded() : null;
        var cta = o.Push ? createToAnsweredMs.Summarize().Rounded() : null;
        if (tta is not null && cta is not null)
        {
            Console.WriteLine($"  time-to-answered ms (answer POST sent → offerer's /poll returns it): p50 {tta.P50} p95 {tta.P95} p99 {tta.P99}");
            Console.WriteLine($"  offer created → offerer knows the answer ms: p50 {cta.P50} p95 {cta.P95} p99 {cta.P99}");
        }
        Console.WriteLine($"  non-2xx {non2xx}, transport errors {errors}, flow failures {recorder.Failures}{(recorder.Failures > 0 ? $" ({recorder.FailureList})" : "")}");
        Report.Routes(routes, proc);

        return new Dictionary<string, object?>
        {
            ["push"] = o.Push,
            ["pairs"] = o.Pairs,
            ["durationS"] = window,
            ["warmupS"] = o.Warmup,
            ["sdpChars"] = o.SdpSize,
            ["cross"] = o.Urls.Count > 1 ? o.Cross : null,
            ["handshakes"] = hs.Count,
            ["handshakesFailed"] = failed,
            ["handshakesPerSec"] = Math.Round(hps, 2),
            ["handshakesTotalIncludingWarmup"] = completedTotal,
            ["handshakesAttemptedIncludingWarmup"] = attemptedTotal,
            ["requests"] = requests,
            ["requestsPerSec"] = Math.Round(requests / window, 1),
            ["requestsPerHandshake"] = rph.Mean,
            ["handshakeMs"] = hs,
            ["timeToAnsweredMs"] = tta,
            ["createToAnsweredMs"] = cta,
            ["non2xx"] = non2xx,
            ["errors"] = errors,
            ["flowFailures"] = recorder.Failures,
            ["flowFailureKinds"] = recorder.Failures > 0 ? recorder.FailureKinds : null,
            ["routes"] = Report.RoutesJson(routes),
            ["server"] = proc,
        };
    }

    /// <summary>One handshake, pull or push; every response is checked, and the offer is deleted whatever happens.</summary>
    private static async Task<Outcome> Handshake(Api api, Options opts, Pair p)
    {
        int requests = 0;
        var (o, a) = (p.Offerer, p.Answerer);
        var rec = api.Recorder;
        // A non-2xx response or a transport error fails the handshake as "step:status".
        async Task<Response> Send(string step, string route, Peer peer, string path, byte[]? body = null, bool auth = true)
        {
            Interlocked.Increment(ref requests);
            var response = await api.SendAsync(route, HttpMethod.Parse(route.AsSpan(0, route.IndexOf(' '))), peer.BaseUrl + path, auth ? peer.Bearer : null, body);
            return response.Ok ? response : throw new FlowFailure($"{step}:{response.Status}");
        }
        Task<Response[]> SendIce(Peer peer, string id, byte[][] bodies) =>
            Task.WhenAll(bodies.Select(b => Send("ice-post", "POST /offers/{id}/ice-candidates", peer, $"/offers/{id}/ice-candidates", b)));

        // Holds /poll until `done` holds for what this side has seen of offer `id`; gives up after a deadline.
        async Task PollUntil(Peer peer, bool offerer, string id, Seen seen, Func<Seen, bool> done)
        {
            double giveUp = rec.NowS + 3 * opts.WaitSeconds + 5;
            while (!done(seen))
            {
                if (rec.NowS > giveUp) throw new FlowFailure("poll-timeout");
                var r = await Send("poll", "GET /poll", peer, $"/poll?since={(offerer ? p.OffererCursor : p.AnswererCursor)}&wait={opts.WaitSeconds}");
                using var doc = r.Json();
                var root = doc.RootElement;
                if (root.GetProperty("answers").EnumerateArray().Any(e => e.GetProperty("offerId").ValueEquals(id))) seen.AnsweredAtS ??= r.EndS;
                seen.Candidates += root.GetProperty("iceCandidates").EnumerateArray().Count(e => e.GetProperty("offerId").ValueEquals(id));
                if (offerer) p.OffererCursor = root.GetProperty("timestamp").GetInt64(); else p.AnswererCursor = root.GetProperty("timestamp").GetInt64();
            }
        }

        Response created;
        try { created = await Send("create", "POST /offers", o, "/offers", p.CreateBody); }
        catch (FlowFailure e) { return new(false, requests, e.Message); }
        string id = Ids(created, "offers", "id").First();
        bool deleted = false;
        Task? offererWait = null, answererWait = null;
        try
        {
            Seen offererSeen = new(), answererSeen = new();
            // Push: the offerer starts waiting for its answer as soon as the offer exists.
            if (opts.Push) offererWait = PollUntil(o, true, id, offererSeen, s => s.AnsweredAtS is not null);

            var found = await Send("discover", "GET /offers/by-topic/{topic}", a, $"/offers/by-topic/{p.TopicPath}?limit=50", auth: false);
            if (!Ids(found, "offers", "id").Contains(id)) throw new FlowFailure("discover-missing-offer");

            double answerSent = rec.NowS;
            await Send("answer", "POST /offers/{id}/answer", a, $"/offers/{id}/answer", p.AnswerBody);
            // Push: the answerer waits for the offerer's candidates while trickling its own.
            if (opts.Push) answererWait = PollUntil(a, false, id, answererSeen, s => s.Candidates >= 2);
            await SendIce(a, id, p.AnswererIce);

            if (offererWait is not null) await offererWait;
            else if (!Ids(await Send("answers", "GET /offers/answers", o, "/offers/answers"), "answers", "offerId").Contains(id)) throw new FlowFailure("answers-missing-answer");

            await SendIce(o, id, p.OffererIce);
            if (opts.Push)
            {
                offererWait = PollUntil(o, true, id, offererSeen, s => s.Candidates >= 2);
                await Task.WhenAll(offererWait, answererWait!);
                if (offererSeen.Candidates != 2 || answererSeen.Candidates != 2) throw new FlowFailure("poll-wrong-candidate-count");
            }
            else
            {
                var reads = await Task.WhenAll(
                    Send("ice-get", "GET /offers/{id}/ice-candidates", o, $"/offers/{id}/ice-candidates?since=0"),
                    Send("ice-get", "GET /offers/{id}/ice-candidates", a, $"/offers/{id}/ice-candidates?since=0"));
                if (reads.Any(r => { using var doc = r.Json(); return doc.RootElement.GetProperty("candidates").GetArrayLength() != 2; })) throw new FlowFailure("ice-get-wrong-count");
            }

            deleted = true;
            await Send("delete", RDelete, o, $"/offers/{id}");
            return opts.Push
                ? new(true, requests, null, (offererSeen.AnsweredAtS!.Value - answerSent) * 1000, (offererSeen.AnsweredAtS.Value - created.EndS) * 1000)
                : new(true, requests, null);
        }
        catch (FlowFailure e)
        {
            return new(false, requests, e.Message);
        }
        finally
        {
            if (!deleted)
            {
                await api.SendAsync(RDelete, HttpMethod.Delete, $"{o.BaseUrl}/offers/{id}", o.Bearer);
                // A held poll returns by itself within `wait`; don't leave it running into the next handshake.
                await Task.WhenAll(new[] { offererWait, answererWait }.OfType<Task>()).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>The string values of <paramref name="field"/> in the array <paramref name="array"/> of a JSON response.</summary>
    private static List<string> Ids(Response r, string array, string field)
    {
        using var doc = r.Json();
        return [.. doc.RootElement.GetProperty(array).EnumerateArray().Select(e => e.GetProperty(field).GetString()!)];
    }
}
