using System.Text.RegularExpressions;

namespace Rondevu.ClusterTests;

/// <summary>
/// The errors ("fail:" and "crit:" lines) that gateways and silos logged, one example per process and exception
/// type with its count: what a failing test prints, since a 500 names no exception and a deployment's logs go
/// with it.
/// </summary>
public static partial class LoggedErrors
{
    private const int ExampleLength = 700;

    /// <summary>Summarizes the error lines of each process's log (<paramref name="logs"/>: process name, log text).</summary>
    public static string Summarize(IEnumerable<(string Process, string Log)> logs)
    {
        var errors = logs
            .SelectMany(log => log.Log.Split('\n')
                .Where(line => line.Contains(" fail: ", StringComparison.Ordinal) || line.Contains(" crit: ", StringComparison.Ordinal))
                .Select(line => (log.Process, Line: line.TrimEnd())))
            .ToList();
        if (errors.Count == 0) return "no errors logged";
        var kinds = errors.GroupBy(e => (e.Process, Exception: ExceptionType().Match(e.Line).Value)).Select(g =>
        {
            var example = g.First().Line;
            var type = g.Key.Exception.Length > 0 ? g.Key.Exception : "no exception";
            return $"{g.Key.Process}, {g.Count()} x {type}, e.g. {example[..Math.Min(example.Length, ExampleLength)]}";
        });
        return $"{errors.Count} errors logged:\n" + string.Join('\n', kinds);
    }

    [GeneratedRegex(@"[A-Za-z.]+Exception\b")]
    private static partial Regex ExceptionType();
}
