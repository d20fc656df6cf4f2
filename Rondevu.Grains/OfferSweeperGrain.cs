using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace Rondevu.Grains;

/// <remarks>
/// Expiry for the whole service by one reminder, registered once per deployment, instead of a reminder
/// per peer or per offer (two reminder writes each). Every period it asks the catalog for the offers
/// whose <c>expiresAt</c> has passed and has each offer end itself; reads hide expired offers in the
/// meantime, so the sweep's lag (up to one period) is only how long their records stay.
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
