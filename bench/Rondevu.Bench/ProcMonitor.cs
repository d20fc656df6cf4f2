using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Rondevu.Bench;

/// <summary>
/// RSS and CPU of the server process(es), from /proc/PID/stat (utime+stime, clock ticks) and
/// /proc/PID/status (VmRSS, VmHWM). Several pids are summed (a cluster's gateways and silos).
/// </summary>
public sealed class ProcMonitor : IAsyncDisposable
{
    private const int ScClkTck = 2; // sysconf's _SC_CLK_TCK on Linux
    public static readonly long ClockTicksPerSecond = SysConf(ScClkTck) is > 0 and var ticks ? ticks : 100;

    private readonly int[] _pids;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _maxRssKb, _startTicks, _startRssKb, _startMachineBusy;
    private double _startS;
    private TimeSpan _clientCpuStart;

    public ProcMonitor(IEnumerable<int> pids)
    {
        _pids = [.. pids];
        _sampler = _pids.Length == 0 ? Task.CompletedTask : Task.Run(SampleLoop);
    }

    /// <summary>Starts the workers, lets them warm up, then measures one window of <c>--duration</c>: the recorder
    /// counts what ends inside it, and this, the processes' CPU and memory over it. Returns once every worker stopped.</summary>
    public static async Task<ProcReport> MeasureWindowAsync(Options o, Recorder recorder, int workers, Func<int, Task> worker, double warmupSeconds)
    {
        await using var monitor = new ProcMonitor(o.Pids);
        var running = Enumerable.Range(0, workers).Select(i => Task.Run(() => worker(i))).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(warmupSeconds));
        recorder.StartWindow(o.Duration);
        monitor.Begin();
        await Task.Delay(TimeSpan.FromSeconds(o.Duration));
        var proc = monitor.End();
        await Task.WhenAll(running);
        return proc;
    }

    /// <summary>Marks the start of the measured window.</summary>
    public void Begin()
    {
        _startTicks = CpuTicks();
        _startS = _clock.Elapsed.TotalSeconds;
        _clientCpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        _startRssKb = RssKb();
        _startMachineBusy = MachineBusyTicks();
        Interlocked.Exchange(ref _maxRssKb, _startRssKb);
    }

    public ProcReport End()
    {
        long ticks = CpuTicks();
        double elapsed = Math.Max(1e-9, _clock.Elapsed.TotalSeconds - _startS);
        double client = 100.0 * (Process.GetCurrentProcess().TotalProcessorTime - _clientCpuStart).TotalSeconds / elapsed;
        long rss = RssKb();
        double machine = 100.0 * (MachineBusyTicks() - _startMachineBusy) / ClockTicksPerSecond / elapsed;
        double server = 100.0 * (ticks - _startTicks) / ClockTicksPerSecond / elapsed;
        bool on = _pids.Length > 0;
        return new ProcReport(_pids, on ? Math.Round(server, 1) : null, on ? _startRssKb : null, on ? rss : null,
            on ? Math.Max(Interlocked.Read(ref _maxRssKb), rss) : null, on ? HwmKb() : null, Math.Round(client, 1), Math.Round(machine, 1),
            on ? Math.Round(Math.Max(0, machine - server - client), 1) : null, Environment.ProcessorCount);
    }

    public long RssKb() => _pids.Sum(p => ReadProc($"/proc/{p}/status", status => StatusKb(status, "VmRSS:")));
    public long HwmKb() => _pids.Sum(p => ReadProc($"/proc/{p}/status", status => StatusKb(status, "VmHWM:")));
    public long CpuTicks() => _pids.Sum(p => ReadProc($"/proc/{p}/stat", StatTicks));

    private async Task SampleLoop()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                long rss = RssKb(), seen;
                while (rss > (seen = Interlocked.Read(ref _maxRssKb)) && Interlocked.CompareExchange(ref _maxRssKb, rss, seen) != seen) { }
                await Task.Delay(250, _stop.Token);
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>A figure parsed from a /proc file; 0 when the process is gone.</summary>
    private static long ReadProc(string path, Func<string, long> parse)
    {
        try
        {
            return parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
    }

    private static long StatusKb(string status, string field) =>
        status.Split('\n').FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal)) is { } line
            ? long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) : 0;

    /// <summary>utime + stime (fields 14 and 15) in clock ticks; the command name may contain spaces, so split after ')'.</summary>
    private static long StatTicks(string stat)
    {
        // rest[0] is field 3 (state); utime is field 14 → rest[11], stime field 15 → rest[12].
        var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
    }

    /// <summary>Busy ticks of the whole machine: the first line of /proc/stat, less idle and iowait.</summary>
    private static long MachineBusyTicks() => ReadProc("/proc/stat", stat =>
    {
        var f = stat[..stat.IndexOf('\n')].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..9].Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        return f.Sum() - f[3] - f[4];
    });

    [DllImport("libc", EntryPoint = "sysconf")]
    private static extern long SysConf(int name);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _sampler;
        _stop.Dispose();
    }
}

/// <summary>CPU percentages: 100 = one core busy for the whole window; the machine has <see cref="Cores"/>× that.</summary>
public sealed record ProcReport(
    int[] Pids, double? CpuPercent, long? RssStartKb, long? RssEndKb, long? RssMaxKb, long? RssHwmKb,
    double ClientCpuPercent, double MachineCpuPercent, double? OtherCpuPercent, int Cores);
