using System.Diagnostics;

namespace Rondevu.ClusterTests;

public sealed partial class ClusterTests
{
    /// <summary>
    /// A silo crash (SIGKILL of silo 2) in the middle of traffic through both gateways loses nothing
    /// acknowledged and keeps one winner per answer race (<see cref="FailoverScenario"/>); after the silo
    /// is restarted a race is clean again.
    /// </summary>
    [Fact, Order(6)]
    public async Task Killed_silo_loses_no_acknowledged_write_and_races_keep_one_winner()
    {
        var scenario = new FailoverScenario(G1, G2, _run, Report);
        try
        {
            await scenario.RunAsync(
                async () =>
                {
                    var kill = await cluster.RunScriptAsync(TimeSpan.FromMinutes(1), "kill-silo", "2");
                    Assert.True(kill.ExitCode == 0, $"kill-silo 2: {kill.Output}");
                },
                sinceKill => WatchDeathAsync(cluster.SiloPortBase + 2, sinceKill));
        }
        catch
        {
            Report(cluster.LoggedErrorsSummary());
            throw;
        }

        var restart = await cluster.RunScriptAsync(TimeSpan.FromMinutes(2), "restart-silo", "2");
        Assert.True(restart.ExitCode == 0, $"restart-silo 2: {restart.Output}\n{cluster.LogTails()}");
        Report($"restart-silo 2 took {restart.Elapsed.TotalSeconds:F1} s");

        // With all three silos back, a race is clean again.
        await scenario.AssertCleanRaceAsync(G2);
    }

    /// <summary>When the membership table first shows the killed silo as Dead (6), for the report.</summary>
    private async Task<TimeSpan?> WatchDeathAsync(int siloPort, Stopwatch sinceKill)
    {
        while (sinceKill.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                if (await Db.SiloStatusAsync(siloPort) == 6) return sinceKill.Elapsed;
            }
            catch (Npgsql.NpgsqlException)
            {
            }
            await Task.Delay(250);
        }
        return null;
    }
}
