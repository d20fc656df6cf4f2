using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Rondevu.Bench;

/// <summary>
/// Turns the results folder of scripts/bench.sh (results.jsonl, machine.txt, meta.txt, loads.txt,
/// commands.txt, profile-*.txt) into docs/BENCHMARKS.md, and judges the targets.
/// The section between the analysis markers of an existing report is carried over unchanged.
/// </summary>
public static class ReportMode
{
    public const string AnalysisBegin = "<!-- analysis:begin (kept by scripts/bench.sh; edit freely) -->";
    public const string AnalysisEnd = "<!-- analysis:end -->";
    public const int RequestsPerHandshake = 11;

    private sealed record Target(string Name, string Goal, string Measured, bool? Met);

    public static int Run(Options o)
    {
        if (o.Results is null) throw new UsageException("report needs --results DIR");
        var runs = LoadRuns(Path.Combine(o.Results, "results.jsonl"));
        var meta = LoadMeta(Path.Combine(o.Results, "meta.txt"));
        var targets = Targets(runs, meta);
        if (o.Check)
        {
            foreach (var t in targets.Where(t => t.Met == false && !t.Name.StartsWith("cluster", StringComparison.Ordinal)))
            {
                Console.WriteLine(t.Name);
            }
            return 0;
        }
        string outPath = o.OutPath ?? "docs/BENCHMARKS.md";
        string? analysis = null;
        if (File.Exists(outPath))
        {
            var old = File.ReadAllText(outPath);
            int b = old.IndexOf(AnalysisBegin, StringComparison.Ordinal), e = old.IndexOf(AnalysisEnd, StringComparison.Ordinal);
            if (b >= 0 && e > b) analysis = old[(b + AnalysisBegin.Length)..e].Trim('\n');
        }
        var md = Render(o.Results, runs, meta, targets, analysis);
        File.WriteAllText(outPath, md, new UTF8Encoding(false));
        Console.WriteLine($"report: wrote {outPath}");
        foreach (var t in targets) Console.WriteLine($"  {(t.Met is null ? "n/a   " : t.Met.Value ? "met   " : "MISSED")} {t.Name}: {t.Measured} (target {t.Goal})");
        return 0;
    }

    private static Dictionary<string, JsonElement> LoadRuns(string path)
    {
        var runs = new Dictionary<string, JsonElement>();
        if (!File.Exists(path)) return runs;
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement.Clone();
            string label = root.TryGetProperty("label", out var l) ? l.GetString() ?? "" : root.GetProperty("mode").GetString()!;
            runs[label] = root; // a later run of the same label wins
        }
        // Repeated pull handshake runs (scripts/bench.sh HANDSHAKE_RUNS): the median one stands for them all.
        var repeats = Repeats(runs);
        if (repeats.Count > 0)
        {
            runs["handshake"] = repeats[repeats.Count / 2];
        }
        return runs;
    }

    private static List<JsonElement> Repeats(Dictionary<string, JsonElement> runs) =>
        runs.Where(kv => kv.Key.StartsWith("handshake-run", StringComparison.Ordinal))
            .Select(kv => kv.Value).OrderBy(r => D(r, "handshakesPerSec")).ToList();

    private sealed record HeapFigures(double Before, double After, double Idle, double AfterBeyondSdp, double IdleBeyondSdp);

    /// <summary>Managed heap per offer from the heap dumps scripts/bench.sh takes around the memory run; null when it took none.</summary>
    private static HeapFigures? HeapPerOffer(Dictionary<string, string> meta, JsonElement memory)
    {
        var k = D(memory, "offers");
        double Meta(string key) => double.TryParse(meta.GetValueOrDefault($"{key}_{k}"), System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
        double before = Meta("heap_before_bytes"), after = Meta("heap_after_bytes"), idle = Meta("heap_idle_bytes");
        if (double.IsNaN(before) || double.IsNaN(after)) return null;
        var created = D(memory, "created");
        var sdp = D(memory, "sdpChars");
        return new HeapFigures(before, after, idle, (after - before) / created - sdp, (idle - before) / created - sdp);
    }

    private static Dictionary<string, string> LoadMeta(string path)
    {
        var meta = new Dictionary<string, string>();
        if (!File.Exists(path)) return meta;
        foreach (var line in File.ReadLines(path))
        {
            int eq = line.IndexOf('=');
            if (eq > 0) meta[line[..eq]] = line[(eq + 1)..];
        }
        return meta;
    }

    private static double D(JsonElement e, params string[] path)
    {
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e)) return double.NaN;
        }
        return e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.NaN;
    }

    private static string F(double v, int digits = 1) => double.IsNaN(v) ? "?" : v.ToString("N" + digits, CultureInfo.InvariantCulture);

    private static (string Label, JsonElement Run)? BestCeiling(Dictionary<string, JsonElement> runs) =>
        runs.Where(kv => kv.Key.StartsWith("ceiling", StringComparison.Ordinal))
            .Select(kv => ((string, JsonElement)?)(kv.Key, kv.Value))
            .OrderByDescending(x => D(x!.Value.Item2, "requestsPerSec"))
            .FirstOrDefault();

    private static List<(int K, JsonElement Run)> Discoveries(Dictionary<string, JsonElement> runs) =>
        runs.Where(kv => kv.Key.StartsWith("discovery-", StringComparison.Ordinal))
            .Select(kv => ((int)(double.IsNaN(D(kv.Value, "offersInTopic")) ? D(kv.Value, "offers") : D(kv.Value, "offersInTopic")), kv.Value))
            .OrderBy(x => x.Item1).ToList();

    private static List<Target> Targets(Dictionary<string, JsonElement> runs, Dictionary<string, string> meta)
    {
        var list = new List<Target>();
        var ceiling = BestCeiling(runs);
        runs.TryGetValue("handshake", out var hs);
        double single = hs.ValueKind == JsonValueKind.Object ? D(hs, "handshakesPerSec") : double.NaN;
        if (ceiling is { } c && !double.IsNaN(single))
        {
            double ceil = D(c.Run, "requestsPerSec") / RequestsPerHandshake;
            double ratio = single / ceil;
            list.Add(new Target("handshake throughput",
                $"≥ 60% of ceiling = /health req/s ÷ {RequestsPerHandshake} = {F(D(c.Run, "requestsPerSec"), 0)} ÷ {RequestsPerHandshake} = {F(ceil)} handshakes/s",
                $"{F(single)} handshakes/s at {D(hs, "pairs")} pairs = {F(100 * ratio, 0)}% of ceiling", ratio >= 0.6));
        }
        else
        {
            list.Add(new Target("handshake throughput", "≥ 60% of /health req/s ÷ 11", "not measured", null));
        }

        var disc = Discoveries(runs);
        if (disc.Count >= 2)
        {
            var (kLo, lo) = disc[0];
            var (kHi, hi) = disc[^1];
            foreach (var (variant, name) in new[] { ("plain", "discovery p99, no Bloom filter"), ("withBloom", "discovery p99, Bloom filter") })
            {
                double pLo = D(lo, variant, "p99"), pHi = D(hi, variant, "p99");
                list.Add(new Target(name, $"p99 at K={kHi:N0} ≤ 2× p99 at K={kLo:N0}",
                    $"{F(pHi, 2)} ms vs {F(pLo, 2)} ms = {F(pHi / pLo, 2)}×", pHi <= 2 * pLo));
            }
        }
        else
        {
            list.Add(new Target("discovery p99", "p99 at 100k ≤ 2× p99 at 100", "not measured", null));
        }

        var mem = runs.Where(kv => kv.Key.StartsWith("memory-", StringComparison.Ordinal)).OrderByDescending(kv => D(kv.Value, "offers")).Select(kv => kv.Value).FirstOrDefault();
        if (mem.ValueKind == JsonValueKind.Object)
        {
            double beyond = D(mem, "bytesPerOfferBeyondSdp");
            var heap = HeapPerOffer(meta, mem) is { } h
                ? $"; managed heap {F(h.AfterBeyondSdp, 0)} right after, {(double.IsNaN(h.IdleBeyondSdp) ? "not measured" : F(h.IdleBeyondSdp, 0))} once idle (see Memory)"
                : "";
            list.Add(new Target("memory per offer", $"≤ 1 KB (1,024 bytes) per active offer beyond SDP bytes, at {F(D(mem, "offers"), 0)} offers",
                $"{F(beyond, 0)} bytes (RSS) per offer beyond the {D(mem, "sdpChars")}-byte SDP{heap}", beyond <= 1024));
        }
        else
        {
            list.Add(new Target("memory per offer", "≤ 1 KB per offer beyond SDP at 100k", "not measured", null));
        }

        if (runs.TryGetValue("cluster-handshake", out var cl) && !double.IsNaN(single))
        {
            double chs = D(cl, "handshakesPerSec");
            list.Add(new Target("cluster handshake throughput", $"≥ 1/3 of single-process ({F(single)} ÷ 3 = {F(single / 3)} handshakes/s)",
                $"{F(chs)} handshakes/s = {F(100 * chs / single, 0)}% of single-process", chs >= single / 3));
        }
        else
        {
            list.Add(new Target("cluster handshake throughput", "≥ 1/3 of single-process handshakes/s",
                $"not measured ({meta.GetValueOrDefault("cluster", "cluster section not run")})", null));
        }
        return list;
    }

    private static string Render(string dir, Dictionary<string, JsonElement> runs, Dictionary<string, string> meta, List<Target> targets, string? analysis)
    {
        var sb = new StringBuilder();
        void L(string s = "") => sb.Append(s).Append('\n');
        string Read(string name) => File.Exists(Path.Combine(dir, name)) ? File.ReadAllText(Path.Combine(dir, name)).TrimEnd() : "";

        L("# Benchmarks");
        L();
        L($"Generated by `scripts/bench.sh` on {meta.GetValueOrDefault("date", "?")} at commit {meta.GetValueOrDefault("commit", "?")}" +
          (meta.GetValueOrDefault("quick") == "1" ? " — **QUICK mode: short runs and small K, not the standard set**." : "."));
        L("The load generator is `bench/Rondevu.Bench` (see `dotnet bench/Rondevu.Bench/bin/Release/net10.0/Rondevu.Bench.dll --help`);");
        L("it runs on the same machine as the server, so client and server share the CPU, and every figure below is for that setup.");
        L("Re-run everything with `scripts/bench.sh` (about 15 minutes, plus up to 15 minutes of waiting for the load average to drop); `QUICK=1 scripts/bench.sh` checks the tooling in a few.");
        L();

        L("## Targets");
        L();
        L("| target | goal | measured | |");
        L("|---|---|---|---|");
        foreach (var t in targets)
        {
            L($"| {t.Name} | {t.Goal} | {t.Measured} | {(t.Met is null ? "not measured" : t.Met.Value ? "**met**" : "**missed**")} |");
        }
        L();

        L("## Machine");
        L();
        L("```");
        L(Read("machine.txt"));
        L("```");
        L();
        L($"1-minute load average when the runs started: {meta.GetValueOrDefault("load_at_start", "?")} (1, 5, 15 min) after waiting {meta.GetValueOrDefault("load_waited_s", "?")} s for it to drop below 1.0; at the end: {meta.GetValueOrDefault("load_at_end", "?")}.");
        L("The machine is shared: other processes may have run during a measurement. Each run reports the whole machine's CPU and the share used by");
        L("processes other than the server and the load generator (\"other\"); a large \"other\" means that run's figures are pessimistic.");
        var loads = Read("loads.txt");
        if (loads.Length > 0)
        {
            L();
            L("| run | load 1/5/15 min before it |");
            L("|---|---|");
            foreach (var line in loads.Split('\n'))
            {
                var parts = line.Split(' ', 2);
                if (parts.Length == 2) L($"| {parts[0]} | {parts[1]} |");
            }
        }
        L();

        L("## Single process (in-memory silo co-hosted by the gateway)");
        L();
        L("### Ceiling: `GET /health`");
        L();
        var ceilings = runs.Where(kv => kv.Key.StartsWith("ceiling", StringComparison.Ordinal)).OrderBy(kv => D(kv.Value, "concurrency")).ToList();
        if (ceilings.Count > 0)
        {
            L("| concurrency | req/s | p50 ms | p99 ms | non-2xx | errors | server CPU % | client CPU % | other CPU % |");
            L("|---|---|---|---|---|---|---|---|---|");
            foreach (var (_, r) in ceilings)
            {
                var route = r.GetProperty("routes").EnumerateObject().First().Value;
                L($"| {D(r, "concurrency")} | {F(D(r, "requestsPerSec"), 0)} | {F(D(route, "p50"), 2)} | {F(D(route, "p99"), 2)} | {D(r, "non2xx")} | {D(r, "errors")} | {F(D(r, "server", "cpuPercent"))} | {F(D(r, "server", "clientCpuPercent"))} | {F(D(r, "server", "otherCpuPercent"))} |");
            }
            if (BestCeiling(runs) is { } best)
            {
                L();
                L($"Ceiling: {F(D(best.Run, "requestsPerSec"), 0)} req/s ÷ {RequestsPerHandshake} requests per handshake = **{F(D(best.Run, "requestsPerSec") / RequestsPerHandshake)} handshakes/s**.");
                double healthCpuMs = CpuMsPer(best.Run, D(best.Run, "requestsPerSec"));
                if (runs.TryGetValue("handshake", out var h) && !double.IsNaN(healthCpuMs))
                {
                    double hsCpuMs = CpuMsPer(h, D(h, "handshakesPerSec"));
                    L();
                    L($"Server CPU per unit of work, which does not depend on how busy the shared machine was: `GET /health` {F(healthCpuMs, 3)} ms per request; " +
                      $"a handshake {F(hsCpuMs, 2)} ms ({F(hsCpuMs / RequestsPerHandshake, 3)} ms per request, {F(hsCpuMs / RequestsPerHandshake / healthCpuMs, 0)}× a `/health` request). " +
                      $"With both cores to itself the server could do at most ~{F(2000 / hsCpuMs, 0)} handshakes/s at that cost, " +
                      $"against a ceiling of {F(D(best.Run, "requestsPerSec") / RequestsPerHandshake, 0)}.");
                }
            }
        }
        else
        {
            L("Not measured.");
        }
        L();

        foreach (var (label, title) in new[] { ("handshake", "Handshake (pull: the 0.1.5 flow)"), ("handshake-push", "Handshake, push variant (`GET /poll?since&wait`)") })
        {
            L($"### {title}");
            L();
            if (!runs.TryGetValue(label, out var r))
            {
                L("Not measured.");
                L();
                continue;
            }
            var repeats = label == "handshake" ? Repeats(runs) : [];
            if (repeats.Count > 1)
            {
                L($"{repeats.Count} runs on the same server, one after another: {string.Join(", ", repeats.Select(x => F(D(x, "handshakesPerSec"))))} handshakes/s " +
                    $"({string.Join(", ", repeats.Select(x => F(CpuMsPer(x, D(x, "handshakesPerSec")), 2)))} ms of server CPU per handshake). The median run:");
                L();
            }
            HandshakeSection(sb, r);
        }
        if (runs.TryGetValue("handshake-quiet-logs", out var quiet))
        {
            L("### Handshake with `Logging__LogLevel__Default=Warning` (diagnostic run)");
            L();
            L("Run only when a target was missed, to show what the default logging costs: the same pull handshake against a server started");
            L("with every log category at Warning.");
            L();
            HandshakeSection(sb, quiet);
        }
        L("Flow per handshake (pull): offerer `POST /offers` (1 offer, 2 topics — the pair's own and one shared by all pairs — ~1.5 KB SDP); answerer");
        L("`GET /offers/by-topic/{pair topic}?limit=50`; answerer `POST /offers/{id}/answer`; answerer 2× `POST /offers/{id}/ice-candidates` (one candidate");
        L("each, concurrently, as the 0.7 client does); offerer `GET /offers/answers`; offerer 2× `POST …/ice-candidates`; both");
        L("`GET /offers/{id}/ice-candidates?since=0` concurrently; offerer `DELETE /offers/{id}` — 11 requests; peers are registered once, up front.");
        L("Every response is checked (the offer is discovered, the answer arrives, each side reads exactly the other's 2 candidates); a");
        L("handshake with any non-2xx or wrong content counts as failed. Push: the same writes, but the offerer holds `GET /poll?since&wait=10`");
        L("from the moment its offer exists until the answer arrives, and both sides hold `/poll` until they have the other side's 2 candidates.");
        L("Time-to-answered = from sending `POST /offers/{id}/answer` until the offerer's held `/poll` returns the answer (with the 0.1.5");
        L("pull flow the client polls `/offers/answers` every 2 s, i.e. ~1 s on average).");
        L();

        L("### Discovery in a busy topic");
        L();
        var disc = Discoveries(runs);
        if (disc.Count > 0)
        {
            L("| K offers in topic | fill offers/s | variant | req/s | p50 ms | p95 ms | p99 ms | max ms | wrong pages | non-2xx | server CPU % | other CPU % |");
            L("|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var (k, r) in disc)
            {
                foreach (var (v, name) in new[] { ("plain", "no filter"), ("withBloom", $"Bloom, {D(r, "bloom", "ids")} ids ({D(r, "bloom", "presentIds")} in topic)") })
                {
                    L($"| {k:N0} | {F(D(r, "fill", "offersPerSec"), 0)} | {name} | {F(D(r, v, "requestsPerSec"), 0)} | {F(D(r, v, "p50"), 3)} | {F(D(r, v, "p95"), 3)} | {F(D(r, v, "p99"), 3)} | {F(D(r, v, "max"), 1)} | {D(r, v, "wrongPages")} | {D(r, v, "non2xx")} | {F(D(r, v, "server", "cpuPercent"))} | {F(D(r, v, "server", "otherCpuPercent"))} |");
                }
            }
            foreach (var (k, r) in disc.Where(x => x.Run.TryGetProperty("fillTimedOut", out var t) && t.GetBoolean()))
            {
                L();
                L($"**The fill of K={D(r, "offers"):N0} did not finish within its time limit: measured with {k:N0} offers in the topic.**");
            }
            L();
            L($"One fresh topic per K, filled by min(K, 1000) peers in batches of {D(disc[^1].Run, "fill", "batch")} offers ({D(disc[^1].Run, "fill", "concurrency")} POSTs in flight; 64-char SDP, TTL 1 h), round-robin over the peers;");
            L("then `GET /offers/by-topic/{topic}?limit=50` by one reader for 10 s, without and with a 128-byte Bloom filter holding 100 peer ids:");
            L("10% of the filling peers (so about a tenth of the topic is excluded at every K) and random absent ids for the rest.");
            L("Each page is checked: 50 offers returned, none from a filtered peer, `total` = K.");
        }
        else
        {
            L("Not measured.");
        }
        L();

        L("### Memory per live offer");
        L();
        var mems = runs.Where(kv => kv.Key.StartsWith("memory-", StringComparison.Ordinal)).OrderBy(kv => D(kv.Value, "offers")).ToList();
        if (mems.Count > 0)
        {
            L("| K offers | peers | topics | SDP bytes | RSS before MiB | RSS right after MiB | RSS settled MiB | bytes/offer | beyond SDP | fill offers/s | server CPU ms/offer |");
            L("|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var (_, r) in mems)
            {
                L($"| {D(r, "created"):N0} | {D(r, "peers")} | {D(r, "topics")} | {D(r, "sdpChars")} | {F(D(r, "rssBeforeKb") / 1024)} | {F(D(r, "rssRightAfterKb") / 1024)} | {F(D(r, "rssAfterKb") / 1024)} | {F(D(r, "bytesPerOffer"), 0)} | **{F(D(r, "bytesPerOfferBeyondSdp"), 0)}** | {F(D(r, "offersPerSec"), 0)} | {F(D(r, "serverCpuMsPerOffer"), 3)} |");
            }
            L();
            L("On a freshly started server: warm-up (2,000 offers in another topic), settle, RSS (median of 7 samples); K offers with a 64-char");
            L("SDP from min(K, 1000) peers, spread over K/1000 topics (a realistic spread; one huge topic is the discovery case); settle again, RSS. The server can't be made to collect garbage, so RSS includes whatever");
            L("the GC has not returned (the gateway runs Server GC); \"beyond SDP\" subtracts the SDP's UTF-8 size (a .NET string holds it in");
            L("twice that).");
            foreach (var (_, r) in mems)
            {
                if (HeapPerOffer(meta, r) is not { } h) continue;
                L();
                L($"Managed heap of the same server at K = {D(r, "created"):N0}, each figure after a full GC (`dotnet-gcdump` forces one): {F(h.Before / 1048576)} MiB before the offers,");
                L($"{F(h.After / 1048576)} MiB right after them (**{F(h.AfterBeyondSdp, 0)} bytes per offer** beyond the SDP's UTF-8 size)" +
                    (double.IsNaN(h.Idle) ? "." : $", and {F(h.Idle / 1048576)} MiB after {meta.GetValueOrDefault("idle_wait_s", "?")} s without traffic (**{F(h.IdleBeyondSdp, 0)} bytes per offer**):"));
                if (!double.IsNaN(h.Idle))
                {
                    L("by then the offer grains have been collected (they idle out after two minutes) and an offer is its stored state and its");
                    L("topic and peer index entries; the next call to it reactivates the grain from storage.");
                }
            }
        }
        else
        {
            L("Not measured.");
        }
        L();

        L("## Cluster (3 silos + 2 gateways on PostgreSQL, `scripts/cluster.sh`)");
        L();
        string cluster = meta.GetValueOrDefault("cluster", "not run");
        if (runs.TryGetValue("cluster-handshake", out var cr))
        {
            L($"Gateways: {meta.GetValueOrDefault("cluster_urls", "?")}. Pair *i*'s offerer talks to gateway *i* mod 2 and its answerer to the other one,");
            L("so every handshake crosses gateways and each gateway gets half the traffic. Server CPU/RSS below are the sum over the gateways and silos");
            L("(PostgreSQL not included).");
            L();
            HandshakeSection(sb, cr);
            if (Stats(meta, "pg_before") is { } b && Stats(meta, "pg_after") is { } a)
            {
                double handshakes = D(cr, "handshakesAttemptedIncludingWarmup");
                double xact = a.Xact - b.Xact, tup = a.Tup - b.Tup;
                L("Writes to PostgreSQL during the run (warm-up included), from `pg_stat_database` for the `rondevu` database, snapshot before and");
                L($"{meta.GetValueOrDefault("pg_settle_s", "12")} s after (statistics are flushed lazily):");
                L();
                L("| | committed transactions | rows inserted+updated+deleted |");
                L("|---|---|---|");
                L($"| run ({handshakes:N0} handshakes) | {xact:N0} | {tup:N0} |");
                L($"| **per handshake** | **{F(xact / handshakes, 2)}** | **{F(tup / handshakes, 2)}** |");
                if (Stats(meta, "pg_idle_before") is { } ib && Stats(meta, "pg_idle_after") is { } ia)
                {
                    L($"| idle cluster, {meta.GetValueOrDefault("pg_idle_seconds", "?")} s (baseline, not subtracted) | {ia.Xact - ib.Xact:N0} | {ia.Tup - ib.Tup:N0} |");
                }
                L();
                var tables = Read("pg-tables.txt");
                if (tables.Length > 0)
                {
                    L("Where they go, per table (`pg_stat_user_tables`, same snapshots), per handshake:");
                    L();
                    L("| table | inserted | updated | deleted | per handshake |");
                    L("|---|---|---|---|---|");
                    foreach (var line in tables.Split('\n'))
                    {
                        var f = line.Split('|');
                        if (f.Length == 4 && double.TryParse(f[1], CultureInfo.InvariantCulture, out var ins) && double.TryParse(f[2], CultureInfo.InvariantCulture, out var upd) && double.TryParse(f[3], CultureInfo.InvariantCulture, out var del) && ins + upd + del > 0)
                        {
                            L($"| `{f[0]}` | {ins:N0} | {upd:N0} | {del:N0} | {F((ins + upd + del) / handshakes, 2)} |");
                        }
                    }
                    L();
                }
            }
            else
            {
                L("PostgreSQL statistics: not available.");
                L();
            }
        }
        else
        {
            L($"Not measured: {cluster}.");
            L();
        }

        var profiles = Directory.Exists(dir) ? Directory.GetFiles(dir, "profile-*.txt").Where(p => !p.EndsWith("profile-load.txt", StringComparison.Ordinal)).OrderBy(p => p).ToList() : [];
        if (profiles.Count > 0)
        {
            L("## Profile of the server during a handshake run");
            L();
            L($"Collected because a single-process target was missed ({meta.GetValueOrDefault("missed_single", "").Replace(";", ", ")}): `perf record -g` on a server");
            L("started with `DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0` (so JIT-compiled frames have names) while a pull handshake load ran");
            L("(`dotnet-trace` thread-time sampling when `perf` is not usable). `libcoreclr.so` has no symbols here: its samples are the runtime itself,");
            L("mostly the GC and allocation helpers. Percentages are of the server's samples; the heap-dump table lists the live objects after the");
            L("memory run, largest total first.");
            L();
            foreach (var p in profiles)
            {
                L($"`{Path.GetFileName(p)}`:");
                L();
                L("```");
                L(File.ReadAllText(p).TrimEnd());
                L("```");
                L();
            }
        }

        L("## Analysis");
        L();
        L(AnalysisBegin);
        L(analysis ?? "(No analysis yet.)");
        L(AnalysisEnd);
        L();

        L("## Commands");
        L();
        L("```");
        L(Read("commands.txt"));
        L("```");
        L();
        L("<details><summary>Raw results (one JSON line per run)</summary>");
        L();
        L("```json");
        L(Read("results.jsonl"));
        L("```");
        L();
        L("</details>");
        return sb.ToString();
    }

    /// <summary>Server CPU milliseconds per unit: cpu% of one core × 10 ms per second ÷ units per second.</summary>
    private static double CpuMsPer(JsonElement run, double perSecond) => D(run, "server", "cpuPercent") * 10 / perSecond;

    private static (double Xact, double Tup)? Stats(Dictionary<string, string> meta, string key)
    {
        if (!meta.TryGetValue(key, out var v)) return null;
        var parts = v.Split('|');
        return parts.Length == 2 && double.TryParse(parts[0], CultureInfo.InvariantCulture, out var x) && double.TryParse(parts[1], CultureInfo.InvariantCulture, out var t)
            ? (x, t) : null;
    }

    private static void HandshakeSection(StringBuilder sb, JsonElement r)
    {
        void L(string s = "") => sb.Append(s).Append('\n');
        bool push = r.TryGetProperty("push", out var p) && p.GetBoolean();
        L($"{D(r, "pairs")} pairs, {D(r, "durationS")} s measured after {D(r, "warmupS")} s warm-up: **{F(D(r, "handshakesPerSec"))} handshakes/s**, {F(D(r, "requestsPerSec"), 0)} req/s, " +
          $"{F(D(r, "requestsPerHandshake"), 2)} requests per handshake; {D(r, "handshakes")} handshakes ok, {D(r, "handshakesFailed")} failed, " +
          $"{D(r, "non2xx")} non-2xx, {D(r, "errors")} transport errors, {D(r, "flowFailures")} wrong responses.");
        L($"Handshake latency p50 {F(D(r, "handshakeMs", "p50"))} ms, p95 {F(D(r, "handshakeMs", "p95"))} ms, p99 {F(D(r, "handshakeMs", "p99"))} ms.");
        if (push)
        {
            L($"Time-to-answered p50 {F(D(r, "timeToAnsweredMs", "p50"), 2)} ms, p95 {F(D(r, "timeToAnsweredMs", "p95"), 2)} ms, p99 {F(D(r, "timeToAnsweredMs", "p99"), 2)} ms " +
              $"(offer created → offerer has the answer: p50 {F(D(r, "createToAnsweredMs", "p50"), 2)} ms, p99 {F(D(r, "createToAnsweredMs", "p99"), 2)} ms).");
        }
        L($"Server CPU {F(D(r, "server", "cpuPercent"))}% (100% = one core; {F(CpuMsPer(r, D(r, "handshakesPerSec")), 2)} ms of server CPU per handshake), RSS {F(D(r, "server", "rssStartKb") / 1024)} → {F(D(r, "server", "rssEndKb") / 1024)} MiB; " +
          $"load generator CPU {F(D(r, "server", "clientCpuPercent"))}%; other processes {F(D(r, "server", "otherCpuPercent"))}% of {D(r, "server", "cores") * 100}%.");
        L();
        L("| route | count | req/s | p50 ms | p95 ms | p99 ms | max ms | non-2xx | errors |");
        L("|---|---|---|---|---|---|---|---|---|");
        foreach (var route in r.GetProperty("routes").EnumerateObject())
        {
            var v = route.Value;
            L($"| `{route.Name}` | {D(v, "count")} | {F(D(v, "perSecond"))} | {F(D(v, "p50"), 2)} | {F(D(v, "p95"), 2)} | {F(D(v, "p99"), 2)} | {F(D(v, "max"), 1)} | {D(v, "non2xx")} | {D(v, "errors")} |");
        }
        L();
    }
}
