using System.Diagnostics;
using System.Text;
using Xunit.Sdk;

namespace Rondevu.ClusterTests;

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>
/// One cluster for the whole collection: <c>scripts/cluster.sh up</c> (a private PostgreSQL, 3 silos,
/// 2 gateways) with its own directory and ports, so it never meets another cluster on this machine
/// (the default one on 3001/3002 and 54330 included), and <c>down</c> at the end, also after a failure.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const int Silos = 3;

    /// <summary>Offers created without a ttl, and answered offers, live long enough for every test.</summary>
    public const long LongTtlMs = 600_000;

    /// <summary>The shortest ttl a client may ask for, lowered so expiry can be watched in a test.</summary>
    public const long MinTtlMs = 2_000;

    private readonly IMessageSink _sink;
    private readonly List<Gateway> _gateways = [];

    public ClusterFixture(IMessageSink sink)
    {
        _sink = sink;
        Root = Script.RepositoryRoot();
        WorkDir = Path.Combine(Path.GetTempPath(), $"rondevu-ct-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        ClusterDir = Path.Combine(WorkDir, "cluster");
        BinDir = Path.Combine(WorkDir, "bin");
    }

    public string Root { get; }
    public string WorkDir { get; }
    public string ClusterDir { get; }
    public string BinDir { get; }
    public int PgPort { get; private set; }
    public int SiloPortBase { get; private set; }
    public int SiloGatewayPortBase { get; private set; }
    public int SiloHttpPortBase { get; private set; }
    public int[] GatewayPorts { get; private set; } = [];
    public TimeSpan UpTime { get; private set; }
    public DateTime UpFinishedUtc { get; private set; }
    public IReadOnlyList<Gateway> Gateways => _gateways;
    public bool IsDown { get; private set; }

    public string ConnectionString => $"Host=127.0.0.1;Port={PgPort};Database=rondevu;Username=postgres;Pooling=false;Timeout=10;Command Timeout=20";

    /// <summary>A connection to another database, so that reading statistics adds nothing to rondevu's.</summary>
    public string AdminConnectionString => $"Host=127.0.0.1;Port={PgPort};Database=postgres;Username=postgres;Pooling=false;Timeout=10;Command Timeout=20";

    public Gateway G1 => _gateways[0];
    public Gateway G2 => _gateways[1];

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(WorkDir);
        ChoosePorts();
        CopyBuildOutput("Rondevu.Silo");
        CopyBuildOutput("Rondevu.Gateway");
        Log($"cluster dir {ClusterDir}; PostgreSQL :{PgPort}; gateways :{string.Join(",:", GatewayPorts)}; " +
            $"silo ports {SiloPortBase}+N, silo gateways {SiloGatewayPortBase}+N, silo http {SiloHttpPortBase}+N");

        var clock = Stopwatch.StartNew();
        var up = await RunScriptAsync(TimeSpan.FromMinutes(3), "up");
        UpTime = clock.Elapsed;
        UpFinishedUtc = DateTime.UtcNow;
        if (up.ExitCode != 0)
        {
            var logs = LogTails();
            await RunScriptAsync(TimeSpan.FromMinutes(2), "down");
            throw new InvalidOperationException($"cluster.sh up failed ({up.ExitCode}):\n{up.Output}\n{logs}");
        }
        Log($"cluster.sh up took {UpTime.TotalSeconds:F1} s (no build: the test project's build compiled Release)");
        foreach (var (port, i) in GatewayPorts.Select((p, i) => (p, i)))
        {
            _gateways.Add(new Gateway(i + 1, new Uri($"http://127.0.0.1:{port}")));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var gateway in _gateways)
        {
            gateway.Dispose();
        }
        if (!IsDown)
        {
            var down = await RunScriptAsync(TimeSpan.FromMinutes(2), "down");
            if (down.ExitCode != 0)
            {
                Log($"cluster.sh down failed ({down.ExitCode}): {down.Output}");
            }
        }
        // Last resort, so that a failed down never leaves a process of this run behind.
        foreach (var pid in ProcessesOfThisRun())
        {
            try
            {
                Process.GetProcessById(pid).Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }
        if (Environment.GetEnvironmentVariable("CLUSTER_TESTS_KEEP") != "1")
        {
            try
            {
                Directory.Delete(WorkDir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Log($"could not delete {WorkDir}: {e.Message}");
            }
        }
    }

    /// <summary><c>down</c>, for the test that checks it leaves nothing behind.</summary>
    public async Task<ScriptResult> DownAsync()
    {
        var result = await RunScriptAsync(TimeSpan.FromMinutes(2), "down");
        IsDown = result.ExitCode == 0;
        return result;
    }

    /// <summary>Processes whose command line names this run's directory: the silos and gateways (run from
    /// the copy in <see cref="BinDir"/>) and PostgreSQL (its data directory is in <see cref="ClusterDir"/>).</summary>
    public List<int> ProcessesOfThisRun()
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var zombie = stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
                if (!zombie && cmdline.Contains(WorkDir, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    /// <summary>Makes sure every silo and gateway answers /health; restarts what doesn't, so one failed test
    /// does not take the following ones down with it.</summary>
    public async Task EnsureHealthyAsync()
    {
        if (IsDown)
        {
            throw new InvalidOperationException("the cluster was taken down");
        }
        var sick = new List<string>();
        for (var n = 1; n <= Silos; n++)
        {
            if (!await HealthyAsync(SiloHttpPortBase + n)) sick.Add($"silo-{n}");
        }
        foreach (var port in GatewayPorts)
        {
            if (!await HealthyAsync(port)) sick.Add($"gateway :{port}");
        }
        if (sick.Count == 0)
        {
            return;
        }
        Log($"not healthy: {string.Join(", ", sick)}; restarting silos and gateways");
        await RunScriptAsync(TimeSpan.FromMinutes(2), "stop-all");
        var start = await RunScriptAsync(TimeSpan.FromMinutes(3), "start-all");
        if (start.ExitCode != 0)
        {
            throw new InvalidOperationException($"cluster.sh start-all failed: {start.Output}\n{LogTails()}");
        }
    }

    public static async Task<bool> HealthyAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            return (await http.GetAsync($"http://127.0.0.1:{port}/health")).IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>Runs scripts/cluster.sh with this cluster's directory and ports.</summary>
    public async Task<ScriptResult> RunScriptAsync(TimeSpan timeout, params string[] args)
    {
        var env = new Dictionary<string, string>
        {
            ["CLUSTER_DIR"] = ClusterDir,
            ["BIN_DIR"] = BinDir,
            ["NO_BUILD"] = "1",
            ["SILOS"] = Silos.ToString(),
            ["PG_PORT"] = PgPort.ToString(),
            ["SILO_PORT_BASE"] = SiloPortBase.ToString(),
            ["SILO_GATEWAY_PORT_BASE"] = SiloGatewayPortBase.ToString(),
            ["SILO_HTTP_PORT_BASE"] = SiloHttpPortBase.ToString(),
            ["GATEWAY_PORTS"] = string.Join(',', GatewayPorts),
            ["UP_TIMEOUT"] = "120",
            ["OFFER_MIN_TTL"] = MinTtlMs.ToString(),
            ["OFFER_DEFAULT_TTL"] = LongTtlMs.ToString(),
            ["ANSWERED_OFFER_TTL"] = LongTtlMs.ToString(),
            // All traffic comes from 127.0.0.1 and the failover loops write as fast as they can: the
            // per-IP and per-peer rate limits (tested elsewhere) would turn part of it into 429s.
            ["RATE_LIMIT_REGISTER"] = "0",
            ["RATE_LIMIT_WRITES"] = "0",
            ["RATE_LIMIT_PEER"] = "0",
        };
        return await Script.RunAsync(Path.Combine(Root, "scripts", "cluster.sh"), args, env, timeout);
    }

    public string LogTails(int lines = 25)
    {
        var text = new StringBuilder();
        if (!Directory.Exists(ClusterDir)) return "";
        foreach (var file in Directory.EnumerateFiles(ClusterDir, "*.log").Order())
        {
            var all = File.ReadAllLines(file);
            text.AppendLine($"--- {Path.GetFileName(file)} (last {lines} lines)");
            foreach (var line in all.TakeLast(lines)) text.AppendLine(line);
        }
        return text.ToString();
    }

    /// <summary>What gateways and silos logged as errors (<see cref="LoggedErrors"/>).</summary>
    public string LoggedErrorsSummary() => !Directory.Exists(ClusterDir) ? "" : LoggedErrors.Summarize(
        Directory.EnumerateFiles(ClusterDir, "*.log").Order().Select(file => (Path.GetFileNameWithoutExtension(file), File.ReadAllText(file))));

    public void Log(string message) => _sink.OnMessage(new DiagnosticMessage($"[cluster] {message}"));

    private void CopyBuildOutput(string project)
    {
        // The test project's build compiles both in Release (see the .csproj); running a private copy
        // means a rebuild elsewhere while the tests run cannot touch the running processes' files.
        var source = Directory.EnumerateDirectories(Path.Combine(Root, project, "bin", "Release"), "net*")
            .FirstOrDefault(d => File.Exists(Path.Combine(d, project + ".dll")))
            ?? throw new InvalidOperationException($"{project} is not built in Release; build this test project first");
        var target = Path.Combine(BinDir, project);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to, overwrite: true);
        }
    }

    private void ChoosePorts()
    {
        // Below Linux's ephemeral range (32768+), so outgoing connections don't take them meanwhile.
        var random = new Random();
        var taken = new HashSet<int>();
        int Block(int count)
        {
            for (var attempt = 0; attempt < 500; attempt++)
            {
                var first = random.Next(12_000, 32_000 - count);
                var ports = Enumerable.Range(first, count).ToArray();
                if (ports.All(p => !taken.Contains(p) && Ports.IsFree(p)))
                {
                    taken.UnionWith(ports);
                    return first;
                }
            }
            throw new InvalidOperationException("no free ports");
        }
        PgPort = Block(1);
        SiloPortBase = Block(Silos + 1);
        SiloGatewayPortBase = Block(Silos + 1);
        SiloHttpPortBase = Block(Silos + 1);
        GatewayPorts = [Block(1), Block(1)];
    }
}
