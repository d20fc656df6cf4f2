namespace Rondevu.ClusterTests;

public sealed partial class ClusterTests
{
    /// <summary>
    /// Silos and gateways share one set of hosting defaults: every silo answers the same probes as a gateway
    /// (/health/live, and /health/ready naming its check; /health is the readiness probe under its short name)
    /// and serves Orleans' and ASP.NET's metrics in Prometheus format.
    /// </summary>
    [Fact, Order(1)]
    public async Task Every_silo_serves_the_shared_probes_and_metrics()
    {
        await cluster.EnsureHealthyAsync();
        for (var n = 1; n <= ClusterFixture.Silos; n++)
        {
            using var silo = new Gateway(n, new Uri($"http://127.0.0.1:{cluster.SiloHttpPortBase + n}"));
            var live = await silo.GetAsync("/health/live");
            Assert.True(live.Status == 200, $"silo {n} live: {live}");
            Assert.Empty(live.Json["checks"]!.AsObject());
            foreach (var ready in new[] { await silo.GetAsync("/health/ready"), await silo.GetAsync("/health") })
            {
                Assert.True(ready.Status == 200, $"silo {n} ready: {ready}");
                Assert.Equal("healthy", (string)ready.Json["checks"]!["silo"]!);
            }
            var metrics = await silo.GetAsync("/metrics");
            Assert.True(metrics.Status == 200, $"silo {n} metrics: {metrics.Status}");
            Assert.Contains("orleans_", metrics.Body);
            Assert.Contains("http_server_request_duration_seconds", metrics.Body);
        }
    }

    /// <summary>
    /// A gateway is ready only while PostgreSQL, which holds membership, state and reminders,
    /// answers: readiness turns 503 naming the database when it stops, and 200 again when it is back.
    /// Liveness stays 200 throughout.
    /// </summary>
    [Fact, Order(7)]
    public async Task Readiness_fails_while_the_database_is_down_and_recovers()
    {
        await cluster.EnsureHealthyAsync();
        var ready = await G1.GetAsync("/health/ready");
        Assert.True(ready.Status == 200, $"ready before the outage: {ready}");
        Assert.Equal("healthy", (string)ready.Json["checks"]!["database"]!);

        var pg = Path.Combine(cluster.Root, "scripts", "pg.sh");
        var pgDir = Path.Combine(cluster.ClusterDir, "pg");
        var stop = await Script.RunAsync(pg, ["stop", pgDir], null, TimeSpan.FromSeconds(60));
        Assert.True(stop.ExitCode == 0, $"pg.sh stop: {stop.Output}");
        try
        {
            var down = await G1.GetAsync("/health/ready");
            Assert.True(down.Status == 503, $"ready while the database is down: {down}");
            Assert.Equal("unhealthy", (string)down.Json["checks"]!["database"]!);
            Assert.Equal(200, (await G2.GetAsync("/health/live")).Status);
        }
        finally
        {
            var start = await Script.RunAsync(pg, ["start", pgDir, cluster.PgPort.ToString()], null, TimeSpan.FromSeconds(60));
            Assert.True(start.ExitCode == 0, $"pg.sh start: {start.Output}");
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        Reply again;
        while ((again = await G1.GetAsync("/health/ready")).Status != 200)
        {
            Assert.True(DateTime.UtcNow < deadline, $"readiness did not recover: {again}");
            await Task.Delay(250);
        }
        Assert.Equal("healthy", (string)again.Json["checks"]!["database"]!);
        await cluster.EnsureHealthyAsync();
    }
}
