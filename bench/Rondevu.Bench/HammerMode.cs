namespace Rondevu.Bench;

/// <summary>One GET route, C requests in flight at all times: the ceiling of the HTTP stack and the machine.</summary>
public static class HammerMode
{
    public static async Task<Dictionary<string, object?>> RunAsync(Options o)
    {
        var recorder = new Recorder();
        using var api = new Api(recorder);
        string route = "GET " + o.Route;
        Console.WriteLine($"hammer {o.Route}: {o.Concurrency} concurrent, {o.Warmup}s warm-up + {o.Duration}s, {string.Join(" ", o.Urls)}");

        async Task Worker(int i)
        {
            string url = o.Urls[i % o.Urls.Count] + o.Route;
            while (!recorder.WindowOver) await api.GetAsync(route, url);
        }

        var proc = await ProcMonitor.MeasureWindowAsync(o, recorder, o.Concurrency, Worker, o.Warmup);

        var summary = recorder.Route(route).Summarize(o.Duration);
        Console.WriteLine($"  {summary.Count} requests → {Report.F(summary.PerSecond)} req/s; non-2xx {summary.Non2xx}, errors {summary.Errors}");
        Report.Routes([summary], proc);
        return new Dictionary<string, object?>
        {
            ["route"] = o.Route,
            ["concurrency"] = o.Concurrency,
            ["durationS"] = o.Duration,
            ["warmupS"] = o.Warmup,
            ["requests"] = summary.Count,
            ["requestsPerSec"] = Math.Round(summary.PerSecond, 1),
            ["non2xx"] = summary.Non2xx,
            ["errors"] = summary.Errors,
            ["routes"] = Report.RoutesJson([summary]),
            ["server"] = proc,
        };
    }
}
