using System.Diagnostics;

namespace Rondevu.Bench;

/// <summary>Latencies and outcomes of one route. Thread-safe; cheap enough for tens of thousands of requests/s.</summary>
public sealed class RouteStats(string route)
{
    private readonly object _gate = new();
    private readonly List<double> _latenciesMs = new(1 << 14);
    private readonly Dictionary<int, long> _statuses = [];
    private long _errors;

    public string Route { get; } = route;

    public void Record(double ms, int status)
    {
        lock (_gate)
        {
            _latenciesMs.Add(ms);
            _statuses[status] = _statuses.GetValueOrDefault(status) + 1;
        }
    }

    public void RecordError(double ms)
    {
        lock (_gate)
        {
            _latenciesMs.Add(ms);
            _errors++;
        }
    }

    public RouteSummary Summarize(double seconds)
    {
        lock (_gate)
        {
            var sorted = _latenciesMs.ToArray();
            Array.Sort(sorted);
            long non2xx = _statuses.Where(kv => kv.Key is < 200 or > 299).Sum(kv => kv.Value);
            return new RouteSummary(
                Route,
                sorted.Length,
                seconds > 0 ? sorted.Length / seconds : 0,
                Percentile(sorted, 0.50),
                Percentile(sorted, 0.95),
                Percentile(sorted, 0.99),
                sorted.Length > 0 ? sorted[^1] : 0,
                sorted.Length > 0 ? sorted.Average() : 0,
                non2xx,
                _errors,
                _statuses.Where(kv => kv.Key is < 200 or > 299).ToDictionary(kv => kv.Key.ToString(), kv => kv.Value));
        }
    }

    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0) return 0;
        // Nearest-rank: the smallest value with at least p of the samples at or below it.
        int rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

public sealed record RouteSummary(
    string Route, long Count, double PerSecond, double P50, double P95, double P99, double Max, double Mean,
    long Non2xx, long Errors, Dictionary<string, long> Non2xxByStatus);

/// <summary>
/// Everything measured in one window. Requests that complete outside [Start, End) are not recorded,
/// so warm-up and the drain at the end do not distort rates or percentiles.
/// </summary>
public sealed class Recorder
{
    private readonly Dictionary<string, RouteStats> _routes = [];
    private readonly object _gate = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _startS = double.MaxValue;
    private double _endS = double.MaxValue;
    private long _failures;
    private readonly Dictionary<string, long> _failureKinds = [];

    public double NowS => _clock.Elapsed.TotalSeconds;

    public void StartWindow(double seconds)
    {
        _startS = NowS;
        _endS = _startS + seconds;
    }

    /// <summary>Ends the window now (for modes that measure "until done" rather than for a fixed time).</summary>
    public void EndWindowNow() => _endS = NowS;

    public double WindowSeconds => Math.Max(0, Math.Min(_endS, NowS) - _startS);

    public bool InWindow(double atS) => atS >= _startS && atS < _endS;

    public bool WindowOver => NowS >= _endS;

    public RouteStats Route(string route)
    {
        lock (_gate)
        {
            if (!_routes.TryGetValue(route, out var stats))
            {
                _routes[route] = stats = new RouteStats(route);
            }
            return stats;
        }
    }

    public IReadOnlyList<RouteStats> Routes
    {
        get { lock (_gate) return _routes.Values.ToList(); }
    }

    /// <summary>A response that was 2xx but not what the flow needed (an offer missing from discovery, ...).</summary>
    public void Failure(string kind)
    {
        if (!InWindow(NowS)) return;
        lock (_gate)
        {
            _failures++;
            _failureKinds[kind] = _failureKinds.GetValueOrDefault(kind) + 1;
        }
    }

    public long Failures { get { lock (_gate) return _failures; } }
    public Dictionary<string, long> FailureKinds { get { lock (_gate) return new(_failureKinds); } }
}

/// <summary>A list of samples with percentiles (handshake latency, time-to-answered, ...).</summary>
public sealed class Samples
{
    private readonly List<double> _values = [];
    public void Add(double v) { lock (_values) _values.Add(v); }
    public int Count { get { lock (_values) return _values.Count; } }

    public Dictionary<string, double> Summary()
    {
        double[] sorted;
        lock (_values) sorted = _values.ToArray();
        Array.Sort(sorted);
        return new()
        {
            ["count"] = sorted.Length,
            ["mean"] = sorted.Length > 0 ? Math.Round(sorted.Average(), 3) : 0,
            ["p50"] = Math.Round(RouteStats.Percentile(sorted, 0.50), 3),
            ["p95"] = Math.Round(RouteStats.Percentile(sorted, 0.95), 3),
            ["p99"] = Math.Round(RouteStats.Percentile(sorted, 0.99), 3),
            ["max"] = sorted.Length > 0 ? Math.Round(sorted[^1], 3) : 0,
        };
    }
}
