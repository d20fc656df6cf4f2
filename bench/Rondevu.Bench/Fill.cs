namespace Rondevu.Bench;

/// <summary>
/// Puts K live offers into one topic. Offers are spread over min(K, 1000) peers (MAX_OFFERS_PER_PEER
/// is 1000 by default, so 100k offers need at least 100 peers) and posted in batches of at most --batch (10)
/// offers, round-robin over the peers, so that neighbours in the topic's newest-first order belong to
/// different peers. TTL is one hour, so nothing expires during a run.
/// </summary>
public static class Fill
{
    public const int MaxPeers = 1000;
    public const long Ttl = 3_600_000;

    public sealed record Result(Peer[] Peers, int[] OffersPerPeer, long Created, long FailedBatches, double Seconds, int SdpChars, RouteSummary Route, bool TimedOut)
    {
        public double OffersPerSec => Seconds > 0 ? Created / Seconds : 0;
    }

    public static async Task<Result> RunAsync(Options o, string topic, int k, bool quiet = false, int topicCount = 1)
    {
        var recorder = new Recorder();
        using var api = new Api(recorder);
        int peerCount = Math.Min(MaxPeers, k);
        var peers = await api.RegisterPoolAsync(peerCount, i => o.Urls[i % o.Urls.Count], 32);
        var quota = Enumerable.Range(0, peerCount).Select(i => k / peerCount + (i < k % peerCount ? 1 : 0)).ToArray();
        var sdps = Enumerable.Range(0, peerCount).Select(_ => Payloads.Sdp(o.SdpSize, "offer")).ToArray();
        // One topic, or topicCount topics "{topic}/{n}" taking the batches in turn.
        var topics = topicCount <= 1 ? new[] { new[] { topic } } : Enumerable.Range(0, topicCount).Select(n => new[] { $"{topic}/{n}" }).ToArray();
        var batches = new List<(int Peer, int Count)>();
        for (int round = 0; round < quota.Max(); round += o.BatchSize)
        {
            for (int p = 0; p < peerCount; p++)
            {
                int count = Math.Min(o.BatchSize, quota[p] - round);
                if (count > 0) batches.Add((p, count));
            }
        }

        long created = 0, failedBatches = 0;
        bool timedOut = false;
        int reported = 0;
        recorder.StartWindow(double.MaxValue / 4);
        double start = recorder.NowS;
        await Parallel.ForEachAsync(Enumerable.Range(0, batches.Count), new ParallelOptions { MaxDegreeOfParallelism = o.FillConcurrency }, async (b, _) =>
        {
            var (p, count) = batches[b];
            if (recorder.NowS - start > o.FillTimeout)
            {
                timedOut = true;
                return;
            }
            var body = Payloads.CreateOffers(Enumerable.Repeat((sdps[p], topics[b % topics.Length]), count), Ttl);
            var r = await api.PostAsync("POST /offers (fill)", peers[p].BaseUrl + "/offers", body, peers[p].Bearer, attempts: 3, backoffMs: 100);
            if (r.Ok) Interlocked.Add(ref created, count); else Interlocked.Increment(ref failedBatches);
            int pct = (int)(100L * (b + 1) / batches.Count);
            if (!quiet && pct >= reported + 20 && Interlocked.CompareExchange(ref reported, pct, reported) < pct)
            {
                Console.WriteLine($"  fill {pct}%: {Interlocked.Read(ref created)} offers in {Report.F(recorder.NowS - start)}s");
            }
        });
        double seconds = recorder.NowS - start;
        recorder.EndWindowNow();
        var route = recorder.Route("POST /offers (fill)").Summarize(seconds);
        if (timedOut && !quiet)
        {
            Console.WriteLine($"  fill stopped after --fill-timeout {o.FillTimeout}s with {created} of {k} offers");
        }
        return new Result(peers, quota, created, failedBatches, seconds, o.SdpSize, route, timedOut);
    }
}
