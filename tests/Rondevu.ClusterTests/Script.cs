using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rondevu.ClusterTests;

public sealed record ScriptResult(int ExitCode, string Output, TimeSpan Elapsed);

/// <summary>Runs the repository's scripts (cluster.sh, compose.sh, pg.sh, ...) as the tests need them.</summary>
public static class Script
{
    /// <summary>Runs <paramref name="file"/> with no stdin, collecting stdout and stderr; killed (exit -1) after <paramref name="timeout"/>.</summary>
    public static async Task<ScriptResult> RunAsync(string file, IEnumerable<string> args, IDictionary<string, string>? env, TimeSpan timeout, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(Path.GetDirectoryName(file))!,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        // Nothing of the test host's own deployment settings may reach the silos and gateways.
        foreach (var key in start.Environment.Keys.ToArray())
        {
            if (key.StartsWith("Orleans__", StringComparison.OrdinalIgnoreCase) ||
                key.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase) ||
                key is "AUTH_SECRET" or "KEEP_DATA" or "CONFIGURATION")
            {
                start.Environment.Remove(key);
            }
        }
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        var clock = Stopwatch.StartNew();
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            lock (output) output.AppendLine($"(killed after {timeout.TotalSeconds:F0} s)");
            return new ScriptResult(-1, output.ToString(), clock.Elapsed);
        }
        process.WaitForExit(); // flushes the asynchronous output readers
        lock (output)
        {
            return new ScriptResult(process.ExitCode, output.ToString(), clock.Elapsed);
        }
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Rondevu.sln")) && File.Exists(Path.Combine(dir.FullName, "scripts", "cluster.sh")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("repository root (Rondevu.sln) not found above " + AppContext.BaseDirectory);
    }
}

public static class Ports
{
    /// <summary>Whether a TCP port on 127.0.0.1 can be listened on now.</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
