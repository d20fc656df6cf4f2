namespace Rondevu.Bench;

/// <summary>
/// Publishing into a busy topic: fill one fresh topic with K offers (--sdp-size, 1.5 KB by default), then
/// --concurrency writers each publish one offer into it and delete it again, for the window. The cost of a
/// publish must not grow with the topic: compare p99 at K = 100 and K = 10,000.
/// </summary>
public static class PublishMode
{
    private const string RPublish = "POST /offers (into the topic)";
    private const string RDelete = "DELETE /offers/{id}";

    public static async Task<Dictionary<string, object?>> RunAsync(Options o)
    {
        string topic = $"bench/{Payloads.RandomHex(4)}/publish-{o.Offers}";
        Console.WriteLine($"publish: K={o.Offers} offers in topic {topic}, {o.Concurrency} writers, {o.Warmup}s warm-up + {o.Duration}s");
        var fill = await Fill.RunAsync(o, topic, o.Offers);
        Console.WriteLine($"  filled {fill.Created} offers in {Report.F(fill.Seconds)}s ({Report.F(fill.OffersPerSec)} offers/s)");

        var recorder = new Recorder();
        using var api = new Api(recorder);
        var writers = await api.RegisterPoolAsync(o.Concurrency, i => o.Urls[i % o.Urls.Count]);
        var body = Payloads.CreateOffers([(Payloads.Sdp(o.SdpSize, "offer"), new[] { topic })], Fill.Ttl);

        async Task Writer(Peer peer)
        {
            while (!recorder.WindowOver)
            {
                var created = await api.PostAsync(RPublish, peer.BaseUrl + "/offers", body, peer.Bearer);
                if (!created.Ok) continue;
                using var doc = created.Json();
                var id = doc.RootElement.GetProperty("offers")[0].GetProperty("id").GetString();
                await api.SendAsync(RDelete, HttpMethod.Delete, $"{peer.BaseUrl}/offers/{id}", peer.Bearer);
            }
        }

        var proc = await ProcMonitor.MeasureWindowAsync(o, recorder, writers.Length, i => Writer(writers[i]), o.Warmup);

        var publish = recorder.Route(RPublish).Summarize(o.Duration);
        var delete = recorder.Route(RDelete).Summarize(o.Duration);
        Console.WriteLine($"  publish: {publish.Count} requests, {Report.F(publish.PerSecond)}/s, p50 {Report.F(publish.P50, 3)} ms, p99 {Report.F(publish.P99, 3)} ms; non-2xx {publish.Non2xx}, errors {publish.Errors}");
        Console.WriteLine($"  delete:  {delete.Count} requests, p50 {Report.F(delete.P50, 3)} ms, p99 {Report.F(delete.P99, 3)} ms; non-2xx {delete.Non2xx}, errors {delete.Errors}");
        Report.Process(proc);
        return new Dictionary<string, object?>
        {
            ["offers"] = o.Offers,
            ["offersInTopic"] = fill.Created,
            ["sdpChars"] = o.SdpSize,
            ["concurrency"] = o.Concurrency,
            ["durationS"] = o.Duration,
            ["publish"] = new { count = publish.Count, perSec = Math.Round(publish.PerSecond, 1), p50 = Math.Round(publish.P50, 3), p99 = Math.Round(publish.P99, 3), non2xx = publish.Non2xx, errors = publish.Errors },
            ["delete"] = new { count = delete.Count, p50 = Math.Round(delete.P50, 3), p99 = Math.Round(delete.P99, 3), non2xx = delete.Non2xx, errors = delete.Errors },
            ["server"] = proc,
        };
    }
}
