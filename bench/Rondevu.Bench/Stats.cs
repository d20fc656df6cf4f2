using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Serialization;

namespace Rondevu.Bench;

/// <summary>Samples with exact percentiles. Thread-safe; cheap enough for tens of thousands of requests/s.</summary>
public class Samples
{
    private readonly List<double> _values = new(1 << 14);

    protected object Gate => _values;

    public void Add(double value)
    {
        lock (Gate) _values.Add(value);
    }

    /// <summary>Nearest-rank percentiles: the smallest value with at least p of the samples at or below it.</summary>
    public Summary Summarize()
    {
        double[] sorted;
        lock (Gate) sorted = [.. _values];
        Array.Sort(sorted);
        double At(double p) => sorted.Length == 0 ? 0 : sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)];
        return new(sorted.Length, sorted.Length > 0 ? sorted.Average() : 0, At(0.50), At(0.95), At(0.99), At(1));
    }
}

public sealed record Summary(int Count, double Mean, double P50, double P95, double P99, double Max)
{
    /// <summary>To the microsecond, for the JSON line.</summary>
    public Summary Rounded() => new(Count, Math.Round(Mean, 3), Math.Round(P50, 3), Math.Round(P95, 3), Math.Round(P99, 3), Math.Round(Max, 3));
}

/// <summary>Latencies and outcomes of one route.</summary>
public sealed class RouteStats(string route) : Samples
{
    private readonly Dictionary<string, long> _non2xx = [];
    private long _errors;

    /// <summary>One response's latency and status; no status is a transport error.</summary>
    public void Record(double ms, int? status)
    {
        Add(ms);
        if (status is null) Interlocked.Increment(ref _errors);
        else if (status is < 200 or > 299) lock (Gate) _non2xx[$"{status}"] = _non2xx.GetValueOrDefault($"{status}") + 1;
    }

    public RouteSummary Summarize(double seconds)
    {
        var s = Summarize();
        lock (Gate)
        {
            return new(route, s.Count, seconds > 0 ? s.Count / seconds : 0, s.P50, s.P95, s.P99, s.Max, s.Mean,
                _non2xx.Values.Sum(), Interlocked.Read(ref _errors), _non2xx.Count > 0 ? new(_non2xx) : null);
        }
    }
}

/// <summary>One route over the window; <see cref="Statuses"/> counts the non-2xx responses by status.</summary>
public sealed record RouteSummary(
    [property: JsonIgnore] string Route, long Count, double PerSecond, double P50, double P95, double P99, double Max, double Mean,
    long Non2xx, long Errors, Dictionary<string, long>? Statuses)
{
    public RouteSummary Rounded() => this with
    {
        PerSecond = Math.Round(PerSecond, 1), P50 = Math.Round(P50, 3), P95 = Math.Round(P95, 3), P99 = Math.Round(P99, 3),
        Max = Math.Round(Max, 3), Mean = Math.Round(Mean, 3),
    };
}

/// <summary>
/// Everything measured in one window. Requests that complete outside [start, end) are not recorded,
/// so warm-up and the drain at the end do not distort rates or percentiles.
/// </summary>
public sealed class Recorder
{
    private readonly ConcurrentDictionary<string, RouteStats> _routes = new();
    private readonly ConcurrentDictionary<string, long> _failures = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private double _startS = double.MaxValue;
    private double _endS = double.MaxValue;

    public double NowS => _clock.Elapsed.TotalSeconds;

    public void StartWindow(double seconds)
    {
        _startS = NowS;
        _endS = _startS + seconds;
    }

    /// <summary>Ends the window now (for modes that measure "until done" rather than for a fixed time).</summary>
    public void EndWindowNow() => _endS = NowS;

    public bool InWindow(double atS) => atS >= _startS && atS < _endS;

    public bool WindowOver => NowS >= _endS;

    public RouteStats Route(string route) => _routes.GetOrAdd(route, name => new RouteStats(name));

    public List<RouteStats> Routes => [.. _routes.Values];

    /// <summary>A response that was 2xx but not what the flow needed (an offer missing from discovery, ...).</summary>
    public void Failure(string kind)
    {
        if (InWindow(NowS)) _failures.AddOrUpdate(kind, 1, (_, n) => n + 1);
    }

    public long Failures => _failures.Values.Sum();

    public Dictionary<string, long> FailureKinds => new(_failures);

    public string FailureList => string.Join(", ", _failures.Select(kv => $"{kv.Key}×{kv.Value}"));
}
