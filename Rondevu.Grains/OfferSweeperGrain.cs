using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Rondevu.Grains;

/// <remarks>
/// Expiry for the whole service: one grain, kept active by a timer that sweeps every
/// <see cref="Interval"/>, and one reminder, registered once per deployment, that brings it back within
/// a minute wherever a silo died (instead of a reminder per peer or per offer: two reminder writes
/// each). A sweep asks the catalog for the offers whose <c>expiresAt</c> has passed and has each offer
/// end itself; reads hide expired offers meanwhile, so the lag is only how long their records stay.
/// </remarks>
public sealed class OfferSweeperGrain(
    IOfferCatalog catalog,
    IOptions<ReminderOptions> reminders,
    TimeProvider clock,
    ILogger<OfferSweeperGrain> logger) : Grain, IOfferSweeperGrain, IRemindable
{
    private const string ReminderName = "sweep";

    /// <summary>Offers ended concurrently, so a large backlog neither floods the silos nor takes a period per offer.</summary>
    private const int Batch = 256;

    /// <summary>One indexed query per interval is all an idle service pays for it.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(SweepAsync, new GrainTimerCreationOptions(Interval, Interval) { KeepAlive = true });
        return Task.CompletedTask;
    }

    public async Task StartAsync()
    {
        if (await this.GetReminder(ReminderName) is null)
        {
            var period = reminders.Value.MinimumReminderPeriod;
            await this.RegisterOrUpdateReminder(ReminderName, period, period);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => SweepAsync();

    public async Task<int> SweepAsync()
    {
        var ended = 0;
        while (true)
        {
            var expired = await catalog.ExpiredAsync(clock.GetUtcNow().ToUnixTimeMilliseconds(), Batch);
            var gone = await Task.WhenAll(expired.Select(id => GrainFactory.GetOfferGrain(id).ExpireAsync()));
            var count = gone.Count(g => g);
            ended += count;
            // A short batch is the end; so is one whose offers all refused (a clock a little behind the catalog's).
            if (expired.Count < Batch || count == 0)
            {
                break;
            }
        }
        if (ended > 0)
        {
            logger.LogDebug("Swept {Count} expired offers", ended);
        }
        return ended;
    }
}
