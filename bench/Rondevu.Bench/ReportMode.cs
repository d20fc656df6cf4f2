using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Rondevu.Bench;

/// <summary>
/// Turns the results folder of scripts/bench.sh (results.jsonl, machine.txt, meta.txt, loads.txt,
/// commands.txt, pg-tables.txt, profile-*.txt) into docs/BENCHMARKS.md, and judges the targets.
/// The section between the analysis markers of an existing report is carried over unchanged.
/// </summary>
public sealed class ReportMode
{
    private const string AnalysisBegin = "<!-- analysis:begin (kept by scripts/bench.sh; edit freely) -->";
    private const string AnalysisEnd = "<!-- analysis:end -->";
    private const int RequestsPerHandshake = 11;

    private sealed record Target(string Name, string Goal, string Measured, bool? Met);

    private readonly string _dir;
    private readonly Dictionary<string, JsonElement> _runs = [];
    private readonly Dictionary<string, string> _meta = [];

    private ReportMode(string dir)
    {
        _dir = dir;
        foreach (var line in Read("results.jsonl").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var run = JsonDocument.Parse(line).RootElement;
            _runs[run.TryGetProperty("label", out var l) ? l.GetString() ?? "" : run.GetProperty("mode").GetString()!] = run; // a later run of a label wins
        }
        // Repeated pull handshake runs (scripts/bench.sh HANDSHAKE_RUNS): the median one stands for them all.
        if (Repeats is { Count: > 0 } repeats) _runs["handshake"] = repeats[repeats.Count / 2];
        foreach (var line in Read("meta.txt").Split('\n'))
        {
            if (line.IndexOf('=') is > 0 and var eq) _meta[line[..eq]] = line[(eq + 1)..];
        }
    }

    public static int Run(Options o)
    {
        var report = new ReportMode(o.Results);
        var targets = report.Targets();
        if (o.Check)
        {
            foreach (var t in targets.Where(t => t.Met == false && !t.Name.StartsWith("cluster", StringComparison.Ordinal))) Console.WriteLine(t.Name);
            return 0;
        }
        string? analysis = null;
        if (File.Exists(o.OutPath))
        {
            var old = File.ReadAllText(o.OutPath);
            int b = old.IndexOf(AnalysisBegin, StringComparison.Ordinal), e = old.IndexOf(AnalysisEnd, StringComparison.Ordinal);
            if (b >= 0 && e > b) analysis = old[(b + AnalysisBegin.Length)..e].Trim('\n');
        }
        File.WriteAllText(o.OutPath, report.Render(targets, analysis), new UTF8Encoding(false));
        Console.WriteLine($"report: wrote {o.OutPath}");
        foreach (var t in targets) Console.WriteLine($"  {(t.Met is null ? "n/a   " : t.Met.Value ? "met   " : "MISSED")} {t.Name}: {t.Measured} (target {t.Goal})");
        return 0;
    }

    private string Read(string name) => File.Exists(Path.Combine(_dir, name)) ? File.ReadAllText(Path.Combine(_dir, name)).TrimEnd() : "";

    private string Meta(string key, string fallback = "?") => _meta.GetValueOrDefault(key, fallback);

    /// <summary>A run by label; a missing one is an undefined element, whose figures read as NaN.</summary>
    private JsonElement RunOf(string label) => _runs.GetValueOrDefault(label);

    private List<JsonElement> Labelled(string prefix, string orderBy) =>
        [.. _runs.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(kv => kv.Value).OrderBy(r => D(r, orderBy))];

    private List<JsonElement> Repeats => Labelled("handshake-run", "handshakesPerSec");
    private List<JsonElement> Ceilings => Labelled("ceiling", "concurrency");
    private JsonElement? BestCeiling => Ceilings.Count > 0 ? Ceilings.MaxBy(r => D(r, "requestsPerSec")) : null;
    private List<JsonElement> Memories => Labelled("memory-", "offers");

    /// <summary>Discovery runs by the offers actually in the topic (a fill may have timed out).</summary>
    private List<(int K, JsonElement Run)> Discoveries =>
        [.. Labelled("discovery-", "offers").Select(r => ((int)(double.IsNaN(D(r, "offersInTopic")) ? D(r, "offers") : D(r, "offersInTopic")), r)).OrderBy(x => x.Item1)];

    private static double D(JsonElement e, params string[] path)
    {
        foreach (var p in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(p, out e)) return double.NaN;
        }
        return e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.NaN;
    }

    private static string F(double v, int digits = 1) => double.IsNaN(v) ? "?" : v.ToString("N" + digits, CultureInfo.InvariantCulture);

    /// <summary>Server CPU milliseconds per unit: cpu% of one core × 10 ms per second ÷ units per second.</summary>
    private static double CpuMsPer(JsonElement run, double perSecond) => D(run, "server", "cpuPercent") * 10 / perSecond;

    private sealed record HeapFigures(double Before, double After, double Idle, double AfterBeyondSdp, double IdleBeyondSdp);

    /// <summary>Managed heap per offer from the heap dumps scripts/bench.sh takes around the memory run; null when it took none.</summary>
    private HeapFigures? HeapPerOffer(JsonElement memory)
    {
        double Bytes(string key) => double.TryParse(_meta.GetValueOrDefault($"{key}_{D(memory, "offers")}"), CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
        double before = Bytes("heap_before_bytes"), after = Bytes("heap_after_bytes"), idle = Bytes("heap_idle_bytes");
        if (double.IsNaN(before) || double.IsNaN(after)) return null;
        double created = D(memory, "created"), sdp = D(memory, "sdpChars");
        return new HeapFigures(before, after, idle, (after - before) / created - sdp, (idle - before) / created - sdp);
    }

    private List<Target> Targets()
    {
        var list = new List<Target>();
        var hs = RunOf("handshake");
        double single = D(hs, "handshakesPerSec");
        if (BestCeiling is { } c && !double.IsNaN(single))
        {
            double ceil = D(c, "requestsPerSec") / RequestsPerHandshake;
            list.Add(new("handshake throughput",
                $"≥ 60% of ceiling = /health req/s ÷ {RequestsPerHandshake} = {F(D(c, "requestsPerSec"), 0)} ÷ {RequestsPerHandshake} = {F(ceil)} handshakes/s",
                $"{F(single)} handshakes/s at {D(hs, "pairs")} pairs = {F(100 * single / ceil, 0)}% of ceiling", single / ceil >= 0.6));
        }
        else list.Add(new("handshake throughput", "≥ 60% of /health req/s ÷ 11", "not measured", null));

        if (Discoveries is { Count: >= 2 } disc)
        {
            var ((kLo, lo), (kHi, hi)) = (disc[0], disc[^1]);
            foreach (var (variant, name) in new[] { ("plain", "discovery p99, no Bloom filter"), ("withBloom", "discovery p99, Bloom filter") })
            {
                double pLo = D(lo, variant, "p99"), pHi = D(hi, variant, "p99");
                list.Add(new(name, $"p99 at K={kHi:N0} ≤ 2× p99 at K={kLo:N0}", $"{F(pHi, 2)} ms vs {F(pLo, 2)} ms = {F(pHi / pLo, 2)}×", pHi <= 2 * pLo));
            }
        }
        else list.Add(new("discovery p99", "p99 at 100k ≤ 2× p99 at 100", "not measured", null));

        if (Memories.LastOrDefault() is { ValueKind: JsonValueKind.Object } mem)
        {
            double beyond = D(mem, "bytesPerOfferBeyondSdp");
            var heap = HeapPerOffer(mem) is { } h
                ? $"; managed heap {F(h.AfterBeyondSdp, 0)} right after, {(double.IsNaN(h.IdleBeyondSdp) ? "not measured" : F(h.IdleBeyondSdp, 0))} once idle (see Memory)"
                : "";
            list.Add(new("memory per offer", $"≤ 1 KB (1,024 bytes) per active offer beyond SDP bytes, at {F(D(mem, "offers"), 0)} offers",
                $"{F(beyond, 0)} bytes (RSS) per offer beyond the {D(mem, "sdpChars")}-byte SDP{heap}", beyond <= 1024));
        }
        else list.Add(new("memory per offer", "≤ 1 KB per offer beyond SDP at 100k", "not measured", null));

        double cluster = D(RunOf("cluster-handshake"), "handshakesPerSec");
        list.Add(!double.IsNaN(cluster) && !double.IsNaN(single)
            ? new("cluster handshake throughput", $"≥ 1/3 of single-process ({F(single)} ÷ 3 = {F(single / 3)} handshakes/s)",
                $"{F(cluster)} handshakes/s = {F(100 * cluster / single, 0)}% of single-process", cluster >= single / 3)
            : new("cluster handshake throughput", "≥ 1/3 of single-process handshakes/s", $"not measured ({Meta("cluster", "cluster section not run")})", null));
        return list;
    }

    private static string Table(string[] headers, IEnumerable<IEnumerable<object>> rows)
    {
        // An empty cell stays "| |", as in the header of a column without a title.
        static string Row(IEnumerable<object> cells) => "|" + string.Concat(cells.Select(c => $"{c}" is { Length: > 0 } s ? $" {s} |" : " |"));
        return string.Join("\n", [Row(headers), "|" + string.Concat(headers.Select(_ => "---|")), .. rows.Select(Row)]);
    }

    private static string Measured(bool measured, Func<string> section) => measured ? section() : "Not measured.";

    private static string Code(string text, string language = "") => $"```{language}\n{text}\n```";

    private string Render(List<Target> targets, string? analysis)
    {
        var loads = Read("loads.txt").Split('\n').Select(line => line.Split(' ', 2)).Where(parts => parts.Length == 2).ToList();
        var profiles = Directory.Exists(_dir)
            ? Directory.GetFiles(_dir, "profile-*.txt").Where(p => !p.EndsWith("profile-load.txt", StringComparison.Ordinal)).Order().ToList()
            : [];
        var quietLogs = !_runs.ContainsKey("handshake-quiet-logs") ? "" : $$"""
            ### Handshake with `Logging__LogLevel__Default=Warning` (diagnostic run)

            Run only when a target was missed, to show what the default logging costs: the same pull handshake against a server started
            with every log category at Warning.

            {{HandshakeSection(RunOf("handshake-quiet-logs"))}}


            """;
        var profileSection = profiles.Count == 0 ? "" : $$"""
            ## Profile of the server during a handshake run

            Collected because a single-process target was missed ({{Meta("missed_single", "").Replace(";", ", ")}}): `perf record -g` on a server
            started with `DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0` (so JIT-compiled frames have names) while a pull handshake load ran
            (`dotnet-trace` thread-time sampling when `perf` is not usable). `libcoreclr.so` has no symbols here: its samples are the runtime itself,
            mostly the GC and allocation helpers. Percentages are of the server's samples; the heap-dump table lists the live objects after the
            memory run, largest total first.

            {{string.Concat(profiles.Select(p => $"`{Path.GetFileName(p)}`:\n\n{Code(File.ReadAllText(p).TrimEnd())}\n\n"))}}
            """;
        return $$"""
            # Benchmarks

            Generated by `scripts/bench.sh` on {{Meta("date")}} at commit {{Meta("commit")}}{{(Meta("quick") == "1" ? " — **QUICK mode: short runs and small K, not the standard set**." : ".")}}
            The load generator is `bench/Rondevu.Bench` (see `dotnet bench/Rondevu.Bench/bin/Release/net10.0/Rondevu.Bench.dll --help`);
            it runs on the same machine as the server, so client and server share the CPU, and every figure below is for that setup.
            Re-run everything with `scripts/bench.sh` (about 15 minutes, plus up to 15 minutes of waiting for the load average to drop); `QUICK=1 scripts/bench.sh` checks the tooling in a few.

            ## Targets

            {{Table(["target", "goal", "measured", ""], targets.Select(t => new object[] { t.Name, t.Goal, t.Measured, t.Met is null ? "not measured" : t.Met.Value ? "**met**" : "**missed**" }))}}

            ## Machine

            {{Code(Read("machine.txt"))}}

            1-minute load average when the runs started: {{Meta("load_at_start")}} (1, 5, 15 min) after waiting {{Meta("load_waited_s")}} s for it to drop below 1.0; at the end: {{Meta("load_at_end")}}.
            The machine is shared: other processes may have run during a measurement. Each run reports the whole machine's CPU and the share used by
            processes other than the server and the load generator ("other"); a large "other" means that run's figures are pessimistic.{{(loads.Count > 0 ? "\n\n" + Table(["run", "load 1/5/15 min before it"], loads) : "")}}

            ## Single process (in-memory silo co-hosted by the gateway)

            ### Ceiling: `GET /health`

            {{Measured(Ceilings.Count > 0, CeilingSection)}}

            ### Handshake (pull: the 0.1.5 flow)

            {{Measured(_runs.ContainsKey("handshake"), () => RepeatsLine() + HandshakeSection(RunOf("handshake")))}}

            ### Handshake, push variant (`GET /poll?since&wait`)

            {{Measured(_runs.ContainsKey("handshake-push"), () => HandshakeSection(RunOf("handshake-push")))}}

            {{quietLogs}}Flow per handshake (pull): offerer `POST /offers` (1 offer, 2 topics — the pair's own and one shared by all pairs — ~1.5 KB SDP); answerer
            `GET /offers/by-topic/{pair topic}?limit=50`; answerer `POST /offers/{id}/answer`; answerer 2× `POST /offers/{id}/ice-candidates` (one candidate
            each, concurrently, as the 0.7 client does); offerer `GET /offers/answers`; offerer 2× `POST …/ice-candidates`; both
            `GET /offers/{id}/ice-candidates?since=0` concurrently; offerer `DELETE /offers/{id}` — 11 requests; peers are registered once, up front.
            Every response is checked (the offer is discovered, the answer arrives, each side reads exactly the other's 2 candidates); a
            handshake with any non-2xx or wrong content counts as failed. Push: the same writes, but the offerer holds `GET /poll?since&wait=10`
            from the moment its offer exists until the answer arrives, and both sides hold `/poll` until they have the other side's 2 candidates.
            Time-to-answered = from sending `POST /offers/{id}/answer` until the offerer's held `/poll` returns the answer (with the 0.1.5
            pull flow the client polls `/offers/answers` every 2 s, i.e. ~1 s on average).

            ### Discovery in a busy topic

            {{Measured(Discoveries.Count > 0, DiscoverySection)}}

            ### Memory per live offer

            {{Measured(Memories.Count > 0, MemorySection)}}

            ## Cluster (3 silos + 2 gateways on PostgreSQL, `scripts/cluster.sh`)

            {{(_runs.ContainsKey("cluster-handshake") ? ClusterSection() : $"Not measured: {Meta("cluster", "not run")}.")}}

            {{profileSection}}## Analysis

            {{AnalysisBegin}}
            {{analysis ?? "(No analysis yet.)"}}
            {{AnalysisEnd}}

            ## Commands

            {{Code(Read("commands.txt"))}}

            <details><summary>Raw results (one JSON line per run)</summary>

            {{Code(Read("results.jsonl"), "json")}}

            </details>

            """;
    }

    private string RepeatsLine() => Repeats is not { Count: > 1 } repeats ? "" :
        $"{repeats.Count} runs on the same server, one after another: {string.Join(", ", repeats.Select(x => F(D(x, "handshakesPerSec"))))} handshakes/s " +
        $"({string.Join(", ", repeats.Select(x => F(CpuMsPer(x, D(x, "handshakesPerSec")), 2)))} ms of server CPU per handshake). The median run:\n\n";

    private string CeilingSection()
    {
        var table = Table(["concurrency", "req/s", "p50 ms", "p99 ms", "non-2xx", "errors", "server CPU %", "client CPU %", "other CPU %"], Ceilings.Select(r =>
        {
            var route = r.GetProperty("routes").EnumerateObject().First().Value;
            return new object[] { D(r, "concurrency"), F(D(r, "requestsPerSec"), 0), F(D(route, "p50"), 2), F(D(route, "p99"), 2), D(r, "non2xx"), D(r, "errors"),
                F(D(r, "server", "cpuPercent")), F(D(r, "server", "clientCpuPercent")), F(D(r, "server", "otherCpuPercent")) };
        }));
        double best = D(BestCeiling!.Value, "requestsPerSec"), healthCpuMs = CpuMsPer(BestCeiling.Value, best), hsCpuMs = CpuMsPer(RunOf("handshake"), D(RunOf("handshake"), "handshakesPerSec"));
        var perUnit = !_runs.ContainsKey("handshake") || double.IsNaN(healthCpuMs) ? "" :
            $"\n\nServer CPU per unit of work, which does not depend on how busy the shared machine was: `GET /health` {F(healthCpuMs, 3)} ms per request; " +
            $"a handshake {F(hsCpuMs, 2)} ms ({F(hsCpuMs / RequestsPerHandshake, 3)} ms per request, {F(hsCpuMs / RequestsPerHandshake / healthCpuMs, 0)}× a `/health` request). " +
            $"With both cores to itself the server could do at most ~{F(2000 / hsCpuMs, 0)} handshakes/s at that cost, against a ceiling of {F(best / RequestsPerHandshake, 0)}.";
        return $"{table}\n\nCeiling: {F(best, 0)} req/s ÷ {RequestsPerHandshake} requests per handshake = **{F(best / RequestsPerHandshake)} handshakes/s**.{perUnit}";
    }

    private static string HandshakeSection(JsonElement r)
    {
        var push = r.TryGetProperty("push", out var p) && p.GetBoolean()
            ? $"\nTime-to-answered p50 {F(D(r, "timeToAnsweredMs", "p50"), 2)} ms, p95 {F(D(r, "timeToAnsweredMs", "p95"), 2)} ms, p99 {F(D(r, "timeToAnsweredMs", "p99"), 2)} ms " +
              $"(offer created → offerer has the answer: p50 {F(D(r, "createToAnsweredMs", "p50"), 2)} ms, p99 {F(D(r, "createToAnsweredMs", "p99"), 2)} ms)."
            : "";
        var routes = Table(["route", "count", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "non-2xx", "errors"], r.GetProperty("routes").EnumerateObject().Select(route => new object[]
            { $"`{route.Name}`", D(route.Value, "count"), F(D(route.Value, "perSecond")), F(D(route.Value, "p50"), 2), F(D(route.Value, "p95"), 2), F(D(route.Value, "p99"), 2), F(D(route.Value, "max"), 1), D(route.Value, "non2xx"), D(route.Value, "errors") }));
        return $$"""
            {{D(r, "pairs")}} pairs, {{D(r, "durationS")}} s measured after {{D(r, "warmupS")}} s warm-up: **{{F(D(r, "handshakesPerSec"))}} handshakes/s**, {{F(D(r, "requestsPerSec"), 0)}} req/s, {{F(D(r, "requestsPerHandshake"), 2)}} requests per handshake; {{D(r, "handshakes")}} handshakes ok, {{D(r, "handshakesFailed")}} failed, {{D(r, "non2xx")}} non-2xx, {{D(r, "errors")}} transport errors, {{D(r, "flowFailures")}} wrong responses.
            Handshake latency p50 {{F(D(r, "handshakeMs", "p50"))}} ms, p95 {{F(D(r, "handshakeMs", "p95"))}} ms, p99 {{F(D(r, "handshakeMs", "p99"))}} ms.{{push}}
            Server CPU {{F(D(r, "server", "cpuPercent"))}}% (100% = one core; {{F(CpuMsPer(r, D(r, "handshakesPerSec")), 2)}} ms of server CPU per handshake), RSS {{F(D(r, "server", "rssStartKb") / 1024)}} → {{F(D(r, "server", "rssEndKb") / 1024)}} MiB; load generator CPU {{F(D(r, "server", "clientCpuPercent"))}}%; other processes {{F(D(r, "server", "otherCpuPercent"))}}% of {{D(r, "server", "cores") * 100}}%.

            {{routes}}
            """;
    }

    private string DiscoverySection()
    {
        var disc = Discoveries;
        var table = Table(["K offers in topic", "fill offers/s", "variant", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "wrong pages", "non-2xx", "server CPU %", "other CPU %"],
            disc.SelectMany(x => new[] { ("plain", "no filter"), ("withBloom", $"Bloom, {D(x.Run, "bloom", "ids")} ids ({D(x.Run, "bloom", "presentIds")} in topic)") }.Select(v => new object[]
            {
                $"{x.K:N0}", F(D(x.Run, "fill", "offersPerSec"), 0), v.Item2, F(D(x.Run, v.Item1, "requestsPerSec"), 0), F(D(x.Run, v.Item1, "p50"), 3), F(D(x.Run, v.Item1, "p95"), 3),
                F(D(x.Run, v.Item1, "p99"), 3), F(D(x.Run, v.Item1, "max"), 1), D(x.Run, v.Item1, "wrongPages"), D(x.Run, v.Item1, "non2xx"),
                F(D(x.Run, v.Item1, "server", "cpuPercent")), F(D(x.Run, v.Item1, "server", "otherCpuPercent")),
            })));
        var timedOut = string.Concat(disc.Where(x => x.Run.TryGetProperty("fillTimedOut", out var t) && t.GetBoolean())
            .Select(x => $"\n\n**The fill of K={D(x.Run, "offers"):N0} did not finish within its time limit: measured with {x.K:N0} offers in the topic.**"));
        var fill = disc[^1].Run.GetProperty("fill");
        return $$"""
            {{table}}{{timedOut}}

            One fresh topic per K, filled by min(K, 1000) peers in batches of {{D(fill, "batch")}} offers ({{D(fill, "concurrency")}} POSTs in flight; 64-char SDP, TTL 1 h), round-robin over the peers;
            then `GET /offers/by-topic/{topic}?limit=50` by one reader for 10 s, without and with a 128-byte Bloom filter holding 100 peer ids:
            10% of the filling peers (so about a tenth of the topic is excluded at every K) and random absent ids for the rest.
            Each page is checked: 50 offers returned, none from a filtered peer, `total` = K.
            """;
    }

    private string MemorySection()
    {
        var table = Table(["K offers", "peers", "topics", "SDP bytes", "RSS before MiB", "RSS right after MiB", "RSS settled MiB", "bytes/offer", "beyond SDP", "fill offers/s", "server CPU ms/offer"],
            Memories.Select(r => new object[]
            {
                $"{D(r, "created"):N0}", D(r, "peers"), D(r, "topics"), D(r, "sdpChars"), F(D(r, "rssBeforeKb") / 1024), F(D(r, "rssRightAfterKb") / 1024), F(D(r, "rssAfterKb") / 1024),
                F(D(r, "bytesPerOffer"), 0), $"**{F(D(r, "bytesPerOfferBeyondSdp"), 0)}**", F(D(r, "offersPerSec"), 0), F(D(r, "serverCpuMsPerOffer"), 3),
            }));
        var heaps = string.Concat(Memories.Select(r => (Run: r, Heap: HeapPerOffer(r))).Where(x => x.Heap is not null).Select(x =>
            $"\n\nManaged heap of the same server at K = {D(x.Run, "created"):N0}, each figure after a full GC (`dotnet-gcdump` forces one): {F(x.Heap!.Before / 1048576)} MiB before the offers,\n" +
            $"{F(x.Heap.After / 1048576)} MiB right after them (**{F(x.Heap.AfterBeyondSdp, 0)} bytes per offer** beyond the SDP's UTF-8 size)" +
            (double.IsNaN(x.Heap.Idle) ? "." : $"""
                , and {F(x.Heap.Idle / 1048576)} MiB after {Meta("idle_wait_s")} s without traffic (**{F(x.Heap.IdleBeyondSdp, 0)} bytes per offer**):
                by then the offer grains have been collected (they idle out after two minutes) and an offer is its stored state and its
                topic and peer index entries; the next call to it reactivates the grain from storage.
                """)));
        return $$"""
            {{table}}

            On a freshly started server: warm-up (2,000 offers in another topic), settle, RSS (median of 7 samples); K offers with a 64-char
            SDP from min(K, 1000) peers, spread over K/1000 topics (a realistic spread; one huge topic is the discovery case); settle again, RSS. The server can't be made to collect garbage, so RSS includes whatever
            the GC has not returned (the gateway runs Server GC); "beyond SDP" subtracts the SDP's UTF-8 size (a .NET string holds it in
            twice that).{{heaps}}
            """;
    }

    private string ClusterSection()
    {
        var cr = RunOf("cluster-handshake");
        var intro = $$"""
            Gateways: {{Meta("cluster_urls")}}. Pair *i*'s offerer talks to gateway *i* mod 2 and its answerer to the other one,
            so every handshake crosses gateways and each gateway gets half the traffic. Server CPU/RSS below are the sum over the gateways and silos
            (PostgreSQL not included).

            {{HandshakeSection(cr)}}


            """;
        if (PgStats("pg_before") is not { } b || PgStats("pg_after") is not { } a) return intro + "PostgreSQL statistics: not available.";
        double handshakes = D(cr, "handshakesAttemptedIncludingWarmup"), xact = a[0] - b[0], tup = a[1] - b[1];
        List<object[]> rows = [[$"run ({handshakes:N0} handshakes)", $"{xact:N0}", $"{tup:N0}"], ["**per handshake**", $"**{F(xact / handshakes, 2)}**", $"**{F(tup / handshakes, 2)}**"]];
        if (PgStats("pg_idle_before") is { } ib && PgStats("pg_idle_after") is { } ia)
        {
            rows.Add([$"idle cluster, {Meta("pg_idle_seconds")} s (baseline, not subtracted)", $"{ia[0] - ib[0]:N0}", $"{ia[1] - ib[1]:N0}"]);
        }
        // table|inserted|updated|deleted during the run, from scripts/bench.sh; tables without writes are left out.
        var tables = Read("pg-tables.txt").Split('\n').Select(line => line.Split('|')).Where(f => f.Length == 4)
            .Select(f => (Name: f[0], Writes: f[1..].Select(v => double.TryParse(v, CultureInfo.InvariantCulture, out var n) ? n : double.NaN).ToArray()))
            .Where(t => t.Writes.Sum() > 0).ToList();
        var perTable = tables.Count == 0 ? "" : "\n\nWhere they go, per table (`pg_stat_user_tables`, same snapshots), per handshake:\n\n" +
            Table(["table", "inserted", "updated", "deleted", "per handshake"], tables.Select(object[] (t) => [$"`{t.Name}`", .. t.Writes.Select(w => $"{w:N0}"), F(t.Writes.Sum() / handshakes, 2)]));
        return intro + $$"""
            Writes to PostgreSQL during the run (warm-up included), from `pg_stat_database` for the `rondevu` database, snapshot before and
            {{Meta("pg_settle_s", "12")}} s after (statistics are flushed lazily):

            {{Table(["", "committed transactions", "rows inserted+updated+deleted"], rows)}}{{perTable}}
            """;
    }

    /// <summary>"transactions|rows" from pg_stat_database, as scripts/bench.sh writes it into meta.txt.</summary>
    private double[]? PgStats(string key) =>
        _meta.GetValueOrDefault(key)?.Split('|').Select(v => double.TryParse(v, CultureInfo.InvariantCulture, out var x) ? x : double.NaN).ToArray()
            is [var xact, var tup] && !double.IsNaN(xact) && !double.IsNaN(tup) ? [xact, tup] : null;
}
