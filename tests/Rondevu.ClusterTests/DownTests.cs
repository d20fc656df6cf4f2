namespace Rondevu.ClusterTests;

public sealed partial class ClusterTests
{
    /// <summary>
    /// `cluster.sh down` stops everything `up` started — silos, gateways and PostgreSQL, restarted
    /// ones included — and leaves no process of this run behind. Runs last: the cluster is gone after it.
    /// </summary>
    [Fact, Order(99)]
    public async Task Down_leaves_no_process_behind()
    {
        Report($"cluster.sh up took {cluster.UpTime.TotalSeconds:F1} s");
        var running = cluster.ProcessesOfThisRun();
        Assert.True(running.Count >= ClusterFixture.Silos + 2 + 1, $"expected the silos, gateways and PostgreSQL to run before down; found pids {string.Join(",", running)}");

        var down = await cluster.DownAsync();
        Assert.True(down.ExitCode == 0, $"down: {down.Output}");
        Report($"cluster.sh down took {down.Elapsed.TotalSeconds:F1} s");

        var left = cluster.ProcessesOfThisRun();
        Assert.True(left.Count == 0, "processes left after down: " + string.Join("; ", left.Select(Describe)));
        foreach (var port in cluster.GatewayPorts.Append(cluster.PgPort))
        {
            using var client = new System.Net.Sockets.TcpClient();
            var connected = false;
            try
            {
                await client.ConnectAsync("127.0.0.1", port);
                connected = true;
            }
            catch (System.Net.Sockets.SocketException)
            {
            }
            Assert.False(connected, $"port {port} still accepts connections after down");
        }
        Assert.Empty(Directory.EnumerateFiles(cluster.ClusterDir, "*.pid"));
    }

    private static string Describe(int pid)
    {
        try
        {
            return $"{pid}: {File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ')}";
        }
        catch (IOException)
        {
            return $"{pid}: (gone)";
        }
    }
}
