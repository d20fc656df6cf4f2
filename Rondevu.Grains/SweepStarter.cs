using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Rondevu.Grains;

/// <summary>
/// Makes sure the expiry sweep runs: once this silo has started, asks the sweeper grain to register its one
/// reminder, retrying while the cluster is still forming. Not an Orleans startup task, because one of those
/// runs inside the silo's start, and the reminder's owner may be another silo that is itself still starting:
/// the call then held this silo's start for Orleans' 30 s response timeout and failed it. For the same reason
/// an attempt is given up after <see cref="AttemptTimeout"/>: a call lost to a silo still starting would
/// otherwise hold the next attempt back by the whole response timeout.
/// </summary>
public sealed class SweepStarter(IGrainFactory grains, IHostApplicationLifetime lifetime, ILogger<SweepStarter> logger) : BackgroundService
{
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(started.SetResult))
        {
            await started.Task.WaitAsync(stoppingToken);
        }
        while (true)
        {
            try
            {
                // Registering is idempotent: an attempt given up that still completes later does no harm.
                await grains.GetGrain<IOfferSweeperGrain>(0).StartAsync().WaitAsync(AttemptTimeout, stoppingToken);
                return;
            }
            catch (Exception error) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(error, "Starting the expiry sweep failed; retrying in {Delay}", RetryAfter);
                await Task.Delay(RetryAfter, stoppingToken);
            }
        }
    }
}
