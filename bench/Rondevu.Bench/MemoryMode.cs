namespace Rondevu.Bench;

/// <summary>
/// Server memory per live offer: RSS after a settle, before and after creating K offers with a small SDP
/// in one topic. The server can't be told to collect garbage, so both samples are the median of several
/// readings taken after --settle seconds of quiet; run it against a freshly started server.
/// </summary>
public static class MemoryMode
{
    public static async Task<Dictionary<string, object?>> RunAsync(Options o)
    {
        string run = Payloads.RandomHex(4);
        await using var monitor = new ProcMonitor(o.Pids);
        Console.WriteLine($"memory: K={o.Offers} offers, SDP {o.SdpSize} chars, settle {o.Settle}s, pid {string.Join(",", o.Pids)}");

        // Warm up every code path the fill uses (JIT, pools, the first grain activations of each type).
        var warm = await Fill.RunAsync(o, $"bench/{run}/memory-warmup", Math.Min(2000, o.Offers), quiet: true);
        Console.WriteLine($"  warm-up: {warm.Created} offers in another topic (they stay; counted in the 'before' sample)");
        if (o.BeforeCommand is { } command)
        {
            using var hook = System.Diagnostics.Process.Start("/bin/sh", ["-c", command]);
            await hook.WaitForExitAsync();
            Console.WriteLine($"  before-command exited {hook.ExitCode}");
        }

        long before = await SettledRss(monitor, o.Settle);
        long cpuBefore = monitor.CpuTicks();
        Console.WriteLine($"  RSS before: {Report.Mb(before)} MiB");

        int topics = o.Topics > 0 ? o.Topics : Math.Max(1, o.Offers / 1000);
        Console.WriteLine($"  filling {o.Offers} offers into {topics} topic(s)");
        var fill = await Fill.RunAsync(o, $"bench/{run}/memory", o.Offers, topicCount: topics);
        long cpuAfterFill = monitor.CpuTicks();
        long rssRightAfter = monitor.RssKb();
        long after = await SettledRss(monitor, o.Settle);
        long hwm = monitor.HwmKb();

        double bytesPerOffer = (after - before) * 1024.0 / Math.Max(1, fill.Created);
        double beyondSdp = bytesPerOffer - o.SdpSize;
        double serverCpuMsPerOffer = (cpuAfterFill - cpuBefore) * 1000.0 / ProcMonitor.ClockTicksPerSecond / Math.Max(1, fill.Created);
        Console.WriteLine($"  created {fill.Created} offers from {fill.Peers.Length} peers in {Report.F(fill.Seconds)}s ({Report.F(fill.OffersPerSec)} offers/s, server CPU {Report.F(serverCpuMsPerOffer, 3)} ms/offer), failed batches {fill.FailedBatches}");
        Console.WriteLine($"  RSS right after: {Report.Mb(rssRightAfter)} MiB, settled: {Report.Mb(after)} MiB, peak ever {Report.Mb(hwm)} MiB");
        Console.WriteLine($"  → {Report.F(bytesPerOffer, 0)} bytes per offer; beyond the {o.SdpSize} SDP bytes: {Report.F(beyondSdp, 0)} bytes per offer");

        return new Dictionary<string, object?>
        {
            ["offers"] = o.Offers,
            ["created"] = fill.Created,
            ["peers"] = fill.Peers.Length,
            ["topics"] = topics,
            ["batch"] = o.BatchSize,
            ["fillTimedOut"] = fill.TimedOut,
            ["sdpChars"] = o.SdpSize,
            ["settleS"] = o.Settle,
            ["fillSeconds"] = Math.Round(fill.Seconds, 2),
            ["offersPerSec"] = Math.Round(fill.OffersPerSec, 1),
            ["failedBatches"] = fill.FailedBatches,
            ["serverCpuMsPerOffer"] = Math.Round(serverCpuMsPerOffer, 4),
            ["rssBeforeKb"] = before,
            ["rssRightAfterKb"] = rssRightAfter,
            ["rssAfterKb"] = after,
            ["rssPeakKb"] = hwm,
            ["bytesPerOffer"] = Math.Round(bytesPerOffer, 1),
            ["bytesPerOfferBeyondSdp"] = Math.Round(beyondSdp, 1),
            ["pids"] = o.Pids,
        };
    }

    private static async Task<long> SettledRss(ProcMonitor monitor, double settleSeconds)
    {
        await Task.Delay(TimeSpan.FromSeconds(settleSeconds));
        var samples = new List<long>();
        for (int i = 0; i < 7; i++)
        {
            samples.Add(monitor.RssKb());
            await Task.Delay(300);
        }
        samples.Sort();
        return samples[samples.Count / 2];
    }
}
