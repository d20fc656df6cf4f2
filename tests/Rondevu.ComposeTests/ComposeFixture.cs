using Xunit.Sdk;

namespace Rondevu.ComposeTests;

[CollectionDefinition(Name)]
public sealed class ComposeCollection : ICollectionFixture<ComposeFixture>
{
    public const string Name = "compose";
}

/// <summary>
/// One compose deployment for the whole collection: <c>scripts/compose.sh up</c> once, under a project
/// name, network and ports of its own (so it never meets a deployment a user runs here), and
/// <c>down</c> at the end, also after a failure. The load balancer and each gateway are published on
/// 127.0.0.1 only, and all test traffic goes there.
/// </summary>
public sealed class ComposeFixture : IAsyncLifetime
{
    /// <summary>POST /register per client IP and minute on each gateway: low enough that a test can use it
    /// up to tell which client IP a gateway sees, above what the other tests register in a minute.</summary>
    public const int RegisterLimit = 30;

    /// <summary>Offers created without a ttl, and answered offers, outlive every test.</summary>
    private const long LongTtlMs = 600_000;

    private readonly IMessageSink _sink;
    private readonly string _workDir;

    public ComposeFixture(IMessageSink sink)
    {
        _sink = sink;
        Root = Script.RepositoryRoot();
        Project = $"rondevuct{Guid.NewGuid():N}"[..17];
        _workDir = Path.Combine(Path.GetTempPath(), Project);
        // A /24 of the project's own, away from the default one (172.30.0) a user's deployment takes.
        Subnet = $"172.30.{Random.Shared.Next(100, 250)}";
        var ports = FreePorts(3);
        (BalancerPort, GatewayPorts) = (ports[0], [ports[1], ports[2]]);
    }

    public string Root { get; }
    public string Project { get; }
    public string Subnet { get; }
    public int BalancerPort { get; }
    public int[] GatewayPorts { get; }
    public bool IsDown { get; private set; }

    /// <summary>The load balancer, and gateways 1 and 2 directly.</summary>
    public Gateway Balancer { get; private set; } = null!;
    public Gateway G1 { get; private set; } = null!;
    public Gateway G2 { get; private set; } = null!;

    /// <summary>The load balancer's fixed address on the project network: the only trusted proxy.</summary>
    public string BalancerAddress => $"{Subnet}.10";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_workDir);
        Log($"project {Project}; network {Subnet}.0/24; balancer 127.0.0.1:{BalancerPort}; gateways 127.0.0.1:{GatewayPorts[0]}, :{GatewayPorts[1]}");
        // The first run on a machine builds the stand-in base images and the app images.
        var up = await RunScriptAsync(TimeSpan.FromMinutes(30), "up");
        if (up.ExitCode != 0)
        {
            var status = await RunScriptAsync(TimeSpan.FromMinutes(1), "status");
            await RunScriptAsync(TimeSpan.FromMinutes(3), "down");
            throw new InvalidOperationException($"compose.sh up failed ({up.ExitCode}):\n{up.Output}\n{status.Output}");
        }
        Log($"compose.sh up took {up.Elapsed.TotalSeconds:F0} s");
        Balancer = new Gateway(0, new Uri($"http://127.0.0.1:{BalancerPort}"));
        G1 = new Gateway(1, new Uri($"http://127.0.0.1:{GatewayPorts[0]}"));
        G2 = new Gateway(2, new Uri($"http://127.0.0.1:{GatewayPorts[1]}"));
    }

    public async Task DisposeAsync()
    {
        foreach (var gateway in new[] { Balancer, G1, G2 })
        {
            gateway?.Dispose();
        }
        if (!IsDown)
        {
            var down = await RunScriptAsync(TimeSpan.FromMinutes(3), "down");
            if (down.ExitCode != 0) Log($"compose.sh down failed ({down.ExitCode}): {down.Output}");
        }
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException e)
        {
            Log($"could not delete {_workDir}: {e.Message}");
        }
    }

    /// <summary><c>down</c>, for the test that checks it leaves nothing behind.</summary>
    public async Task<ScriptResult> DownAsync()
    {
        var result = await RunScriptAsync(TimeSpan.FromMinutes(3), "down");
        IsDown = result.ExitCode == 0;
        return result;
    }

    /// <summary>Runs scripts/compose.sh for this deployment.</summary>
    public Task<ScriptResult> RunScriptAsync(TimeSpan timeout, params string[] args)
    {
        var env = new Dictionary<string, string>
        {
            ["COMPOSE_PROJECT_NAME"] = Project,
            ["RONDEVU_PORT"] = BalancerPort.ToString(),
            ["RONDEVU_SUBNET"] = Subnet,
            ["GATEWAY_PORTS"] = string.Join(',', GatewayPorts),
            // No AUTH_SECRET: compose.sh generates one into STATE_DIR, as on a fresh clone without .env.
            ["STATE_DIR"] = _workDir,
            ["UP_TIMEOUT"] = "600",
            ["OFFER_DEFAULT_TTL"] = LongTtlMs.ToString(),
            ["ANSWERED_OFFER_TTL"] = LongTtlMs.ToString(),
            ["RATE_LIMIT_REGISTER"] = RegisterLimit.ToString(),
            // The failover loops write as fast as they can from one address.
            ["RATE_LIMIT_WRITES"] = "0",
            ["RATE_LIMIT_PEER"] = "0",
        };
        return Script.RunAsync(Path.Combine(Root, "scripts", "compose.sh"), args, env, timeout);
    }

    /// <summary>Runs the docker command; fails the test when it fails.</summary>
    public async Task<string> DockerAsync(params string[] args)
    {
        var result = await Script.RunAsync("docker", args, env: null, TimeSpan.FromMinutes(1), workingDirectory: Root);
        Assert.True(result.ExitCode == 0, $"docker {string.Join(' ', args)}: {result.Output}");
        return result.Output;
    }

    /// <summary>IDs of this project's objects of one kind: "container", "network" or "volume".</summary>
    public async Task<string[]> ObjectsAsync(string kind)
    {
        var filter = $"label=com.docker.compose.project={Project}";
        var output = kind == "container"
            ? await DockerAsync("ps", "-a", "-q", "--filter", filter)
            : await DockerAsync(kind, "ls", "-q", "--filter", filter);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    public async Task<string> ContainerAsync(string service)
    {
        var ids = await DockerAsync("ps", "-q", "--filter", $"label=com.docker.compose.project={Project}",
            "--filter", $"label=com.docker.compose.service={service}");
        return ids.Trim().Split('\n')[0];
    }

    /// <summary>What gateways and silos logged as errors (<see cref="LoggedErrors"/>), before <c>down</c> removes their logs.</summary>
    public async Task<string> LoggedErrorsAsync()
    {
        var logs = new List<(string, string)>();
        foreach (var service in new[] { "gateway1", "gateway2", "silo1", "silo2", "silo3" })
        {
            var id = await ContainerAsync(service);
            if (id.Length == 0) continue;
            var result = await Script.RunAsync("docker", ["logs", id], env: null, TimeSpan.FromMinutes(1), workingDirectory: Root);
            logs.Add((service, result.Output));
        }
        return LoggedErrors.Summarize(logs);
    }

    public void Log(string message) => _sink.OnMessage(new DiagnosticMessage($"[compose] {message}"));

    private static int[] FreePorts(int count)
    {
        // Below Linux's ephemeral range (32768+), so outgoing connections don't take them meanwhile.
        var ports = new HashSet<int>();
        while (ports.Count < count)
        {
            var port = Random.Shared.Next(12_000, 32_000);
            if (Ports.IsFree(port)) ports.Add(port);
        }
        return [.. ports];
    }
}
