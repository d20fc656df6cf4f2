namespace Rondevu.ClusterTests;

public sealed partial class ClusterTests
{
    /// <summary>Bad silo settings, one per row (variable=value, separated by ';'), and the key its refusal must name.</summary>
    public static TheoryData<string, string> BadSiloSettings => new()
    {
        { "Orleans__ClusteringProvider=Postgres;ConnectionStrings__Postgres={cs}", "Orleans:GrainStorage:rondevu" },
        { "Orleans__ClusteringProvider=Postgres;Orleans__StorageProvider=Postgres", "Orleans:GrainStorage:rondevu" },
        { "Orleans__SiloPort=abc", "Orleans:SiloPort" },
        { "Silo__HttpPort=abc", "Silo:HttpPort" },
        { "Silo__Dashboard=true", "Silo:Dashboard" },
        { "Silo__ShutdownTimeoutSeconds=0", "Silo:ShutdownTimeoutSeconds" },
    };

    /// <summary>
    /// A silo refuses a bad or incompatible setting at start, exit code 1, with one line naming it: offers kept
    /// in memory under PostgreSQL clustering, PostgreSQL storage without a connection string, values of the
    /// wrong type or out of range. Nothing is started, so the cluster's own silos are untouched.
    /// </summary>
    [Theory, Order(8)]
    [MemberData(nameof(BadSiloSettings))]
    public async Task A_silo_refuses_bad_settings_at_start_naming_them(string settings, string key)
    {
        var env = settings.Replace("{cs}", cluster.ConnectionString).Split(';').Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var silo = await RunSiloAsync([], env);

        Assert.True(silo.ExitCode == 1, $"exit {silo.ExitCode}: {silo.Output}");
        Assert.Contains("Invalid configuration:", silo.Output);
        Assert.Contains(key, silo.Output);
    }

    [Fact, Order(8)]
    public async Task Migrate_without_a_connection_string_fails_naming_it()
    {
        var migrate = await RunSiloAsync(["migrate"], []);

        Assert.True(migrate.ExitCode == 1, $"exit {migrate.ExitCode}: {migrate.Output}");
        Assert.Contains("ConnectionStrings:Postgres", migrate.Output);
    }

    private Task<ScriptResult> RunSiloAsync(string[] args, Dictionary<string, string> env)
    {
        var dll = Path.Combine(cluster.BinDir, "Rondevu.Silo", "Rondevu.Silo.dll");
        return Script.RunAsync("dotnet", [dll, .. args], env, TimeSpan.FromSeconds(60), Path.GetDirectoryName(dll));
    }
}
