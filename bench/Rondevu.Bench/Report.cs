using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rondevu.Bench;

/// <summary>Human-readable tables on stdout, plus one JSON line per run (stdout, and --json FILE).</summary>
public static class Report
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string F(double v, int digits = 1) => v.ToString("F" + digits, CultureInfo.InvariantCulture);

    /// <summary>The routes' table, the processes' CPU and memory, and a hint when rate limits got in the way.</summary>
    public static void Routes(IEnumerable<RouteSummary> routes, ProcReport proc)
    {
        var list = routes.OrderBy(r => r.Route, StringComparer.Ordinal).ToList();
        int w = Math.Max(34, list.Select(r => r.Route.Length + 2).DefaultIfEmpty().Max());
        Console.WriteLine($"  {"route".PadRight(w)}{"count",9}{"req/s",10}{"p50 ms",9}{"p95 ms",9}{"p99 ms",9}{"max ms",9}{"non2xx",8}{"errors",8}");
        foreach (var r in list)
        {
            Console.WriteLine($"  {r.Route.PadRight(w)}{r.Count,9}{F(r.PerSecond),10}{F(r.P50, 2),9}{F(r.P95, 2),9}{F(r.P99, 2),9}{F(r.Max, 1),9}{r.Non2xx,8}{r.Errors,8}");
            if (r.Statuses is { } statuses) Console.WriteLine($"    statuses: {string.Join(", ", statuses.Select(kv => $"{kv.Key}×{kv.Value}"))}");
        }
        Process(proc);
        if (list.Any(r => r.Statuses?.ContainsKey("429") == true))
        {
            Console.WriteLine("  note: 429s seen; the gateway's rate limits (RATE_LIMIT_REGISTER, RATE_LIMIT_WRITES, RATE_LIMIT_PEER) count per client IP");
            Console.WriteLine("        and a load generator is one IP: start the server with them set to 0 to measure it (scripts/bench.sh does).");
        }
    }

    public static void Process(ProcReport p)
    {
        if (p.CpuPercent is { } cpu)
        {
            Console.WriteLine($"  server pid {string.Join(",", p.Pids)}: CPU {F(cpu)}% (100% = one core), RSS {Mb(p.RssStartKb)} → {Mb(p.RssEndKb)} MiB (max {Mb(p.RssMaxKb)}, peak ever {Mb(p.RssHwmKb)})");
        }
        Console.WriteLine($"  bench client CPU {F(p.ClientCpuPercent)}%; whole machine {F(p.MachineCpuPercent)}% of {p.Cores * 100}%{(p.OtherCpuPercent is { } other ? $", other processes {F(other)}%" : "")}");
    }

    public static string Mb(long? kb) => kb is { } v ? F(v / 1024.0) : "?";

    public static Dictionary<string, RouteSummary> RoutesJson(IEnumerable<RouteSummary> routes) =>
        routes.OrderBy(r => r.Route, StringComparer.Ordinal).ToDictionary(r => r.Route, r => r.Rounded());

    public static void Json(Options o, Dictionary<string, object?> fields)
    {
        var line = new Dictionary<string, object?>
        {
            ["bench"] = "rondevu",
            ["mode"] = o.Mode,
            ["label"] = o.Label,
            ["time"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["urls"] = o.Urls,
        };
        foreach (var kv in fields) line[kv.Key] = kv.Value;
        foreach (var key in line.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList()) line.Remove(key);
        var text = JsonSerializer.Serialize(line, JsonOptions);
        Console.WriteLine(text);
        if (o.JsonOut is { } path)
        {
            File.AppendAllText(path, text + "\n", new UTF8Encoding(false));
        }
    }
}
