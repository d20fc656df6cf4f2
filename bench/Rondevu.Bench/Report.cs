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

    public static void Routes(IEnumerable<RouteSummary> routes)
    {
        var list = routes.OrderBy(r => r.Route, StringComparer.Ordinal).ToList();
        if (list.Count == 0) return;
        int w = Math.Max(34, list.Max(r => r.Route.Length) + 2);
        Console.WriteLine($"  {"route".PadRight(w)}{"count",9}{"req/s",10}{"p50 ms",9}{"p95 ms",9}{"p99 ms",9}{"max ms",9}{"non2xx",8}{"errors",8}");
        foreach (var r in list)
        {
            Console.WriteLine($"  {r.Route.PadRight(w)}{r.Count,9}{F(r.PerSecond),10}{F(r.P50, 2),9}{F(r.P95, 2),9}{F(r.P99, 2),9}{F(r.Max, 1),9}{r.Non2xx,8}{r.Errors,8}");
            if (r.Non2xxByStatus.Count > 0)
            {
                Console.WriteLine($"    statuses: {string.Join(", ", r.Non2xxByStatus.Select(kv => $"{kv.Key}×{kv.Value}"))}");
            }
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

    public static void RateLimitHint(IEnumerable<RouteSummary> routes)
    {
        if (routes.Any(r => r.Non2xxByStatus.ContainsKey("429")))
        {
            Console.WriteLine("  note: 429s seen; the gateway's rate limits (RATE_LIMIT_REGISTER, RATE_LIMIT_WRITES, RATE_LIMIT_PEER) count per client IP");
            Console.WriteLine("        and a load generator is one IP: start the server with them set to 0 to measure it (scripts/bench.sh does).");
        }
    }

    public static string Mb(long? kb) => kb is { } v ? F(v / 1024.0) : "?";

    public static object RoutesJson(IEnumerable<RouteSummary> routes) => routes
        .OrderBy(r => r.Route, StringComparer.Ordinal)
        .ToDictionary(r => r.Route, r => new
        {
            count = r.Count,
            perSecond = Math.Round(r.PerSecond, 1),
            p50 = Math.Round(r.P50, 3),
            p95 = Math.Round(r.P95, 3),
            p99 = Math.Round(r.P99, 3),
            max = Math.Round(r.Max, 3),
            mean = Math.Round(r.Mean, 3),
            non2xx = r.Non2xx,
            errors = r.Errors,
            statuses = r.Non2xxByStatus.Count > 0 ? r.Non2xxByStatus : null,
        });

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
