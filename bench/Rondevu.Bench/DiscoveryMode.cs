using Rondevu.Grains;

namespace Rondevu.Bench;

/// <summary>
/// Discovery in a busy topic: fill one fresh topic with K offers, then time
/// GET /offers/by-topic/{topic}?limit=50, first plain, then with a Bloom filter.
///
/// The filter holds --bloom-peers ids (100): 10% of the filling peers (capped at that number) and random
/// ids of peers that are not in the topic for the rest, so the same ~10% of the topic is excluded at
/// every K and the work a page needs should not depend on K.
/// </summary>
public static class DiscoveryMode
{
    public static async Task<Dictionary<string, object?>> RunAsync(Options o)
    {
        string run = Payloads.RandomHex(4);
        string topic = $"bench/{run}/discovery-{o.Offers}";
        Console.WriteLine($"discovery: K={o.Offers} offers in topic {topic}, limit={o.Limit}, {o.Concurrency} concurrent reader(s), {o.Warmup}s warm-up + {o.Duration}s per variant");

        var fill = await Fill.RunAsync(o, topic, o.Offers);
        Console.WriteLine($"  filled {fill.Created} offers from {fill.Peers.Length} peers in {Report.F(fill.Seconds)}s ({Report.F(fill.OffersPerSec)} offers/s, POST p99 {Report.F(fill.Route.P99)} ms), failed batches {fill.FailedBatches}");

        var present = fill.Peers.OrderBy(_ => Random.Shared.Next()).Take(Math.Min(o.BloomPeers, fill.Peers.Length / 10)).Select(p => p.Id).ToHashSet();
        var bloom = new byte[o.BloomBytes];
        foreach (var id in present) BloomFilter.Add(bloom, id);
        for (int i = present.Count; i < o.BloomPeers; i++) BloomFilter.Add(bloom, Payloads.RandomHex());
        long excludedOffers = fill.Peers.Select((p, i) => BloomFilter.MightContain(bloom, p.Id) ? fill.OffersPerPeer[i] : 0L).Sum();
        Console.WriteLine($"  bloom: {o.BloomBytes} bytes, {o.BloomPeers} ids ({present.Count} of them fill peers); it excludes {excludedOffers} of {fill.Created} offers (false positives included)");

        string baseUrl = o.Urls[0] + $"/offers/by-topic/{Payloads.Topic(topic)}?limit={o.Limit}";
        var plain = await Measure(o, "plain", baseUrl, fill.Created, fill.Created, null);
        var filtered = await Measure(o, "bloom", baseUrl + "&bloom=" + Uri.EscapeDataString(Convert.ToBase64String(bloom)), fill.Created, fill.Created - excludedOffers, present);

        return new Dictionary<string, object?>
        {
            ["offers"] = o.Offers,
            ["offersInTopic"] = fill.Created,
            ["fillTimedOut"] = fill.TimedOut,
            ["topic"] = topic,
            ["limit"] = o.Limit,
            ["concurrency"] = o.Concurrency,
            ["durationS"] = o.Duration,
            ["fill"] = new
            {
                peers = fill.Peers.Length,
                created = fill.Created,
                failedBatches = fill.FailedBatches,
                seconds = Math.Round(fill.Seconds, 2),
                offersPerSec = Math.Round(fill.OffersPerSec, 1),
                sdpChars = fill.SdpChars,
                postP50 = Math.Round(fill.Route.P50, 3),
                postP99 = Math.Round(fill.Route.P99, 3),
                batch = o.BatchSize,
                concurrency = o.FillConcurrency,
            },
            ["bloom"] = new { bytes = o.BloomBytes, ids = o.BloomPeers, presentIds = present.Count, excludedOffers },
            ["plain"] = plain,
            ["withBloom"] = filtered,
        };
    }

    private static async Task<Dictionary<string, object?>> Measure(Options o, string name, string url, long expectedTotal, long eligible, HashSet<string>? excluded)
    {
        var recorder = new Recorder();
        using var api = new Api(recorder);
        string route = $"GET /offers/by-topic/{{topic}} ({name})";
        int expectedReturned = (int)Math.Min(o.Limit, eligible);
        long totalMismatch = 0;

        async Task Worker()
        {
            while (!recorder.WindowOver)
            {
                var r = await api.GetAsync(route, url);
                if (!r.Ok) continue;
                using var doc = r.Json();
                var root = doc.RootElement;
                int returned = root.GetProperty("returned").GetInt32();
                if (returned != expectedReturned) recorder.Failure($"returned {returned}, expected {expectedReturned}");
                if (excluded is not null)
                {
                    foreach (var offer in root.GetProperty("offers").EnumerateArray())
                    {
                        if (excluded.Contains(offer.GetProperty("peerId").GetString()!)) recorder.Failure("bloom-excluded peer returned");
                    }
                }
                if (root.TryGetProperty("total", out var total) && total.GetInt64() != expectedTotal && recorder.InWindow(recorder.NowS))
                {
                    Interlocked.Increment(ref totalMismatch);
                }
            }
        }

        var proc = await ProcMonitor.MeasureWindowAsync(o, recorder, o.Concurrency, _ => Worker(), Math.Min(o.Warmup, 2));

        var s = recorder.Route(route).Summarize(o.Duration);
        Console.WriteLine($"  {name}: {s.Count} requests, {Report.F(s.PerSecond)} req/s, p50 {Report.F(s.P50, 3)} ms, p95 {Report.F(s.P95, 3)} ms, p99 {Report.F(s.P99, 3)} ms, max {Report.F(s.Max, 1)} ms; non-2xx {s.Non2xx}, errors {s.Errors}, wrong pages {recorder.Failures}{(totalMismatch > 0 ? $", total≠K in {totalMismatch}" : "")}");
        foreach (var kv in recorder.FailureKinds) Console.WriteLine($"    {kv.Key} ×{kv.Value}");
        Report.Process(proc);
        return new Dictionary<string, object?>
        {
            ["requests"] = s.Count,
            ["requestsPerSec"] = Math.Round(s.PerSecond, 1),
            ["p50"] = Math.Round(s.P50, 3),
            ["p95"] = Math.Round(s.P95, 3),
            ["p99"] = Math.Round(s.P99, 3),
            ["max"] = Math.Round(s.Max, 3),
            ["mean"] = Math.Round(s.Mean, 3),
            ["non2xx"] = s.Non2xx,
            ["errors"] = s.Errors,
            ["wrongPages"] = recorder.Failures,
            ["totalMismatch"] = totalMismatch,
            ["server"] = proc,
        };
    }
}
