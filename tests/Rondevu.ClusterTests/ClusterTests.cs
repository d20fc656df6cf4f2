namespace Rondevu.ClusterTests;

/// <summary>
/// The cluster deployment end to end: 3 silos on PostgreSQL and 2 gateways, started by
/// scripts/cluster.sh. One class split over several files, so that the tests run in a fixed order
/// on the one cluster (see <see cref="ByOrder"/>).
/// </summary>
[Collection(ClusterCollection.Name)]
[TestCaseOrderer(ByOrder.TypeName, ByOrder.AssemblyName)]
public sealed partial class ClusterTests(ClusterFixture cluster, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    private Gateway G1 => cluster.G1;
    private Gateway G2 => cluster.G2;
    private Database Db => new(cluster.ConnectionString, cluster.AdminConnectionString);

    public async Task InitializeAsync()
    {
        if (!cluster.IsDown)
        {
            await cluster.EnsureHealthyAsync();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Writes to the test output and to the runner's diagnostics (visible in the plain `dotnet test` output).</summary>
    private void Report(string line)
    {
        output.WriteLine(line);
        cluster.Log(line);
    }
}
