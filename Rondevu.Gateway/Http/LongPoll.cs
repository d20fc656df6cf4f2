namespace Rondevu.Gateway.Http;

/// <summary>
/// Holds a push request for up to its <c>wait</c>. Orleans fails a grain call after 30 s, so a long
/// wait is held as consecutive grain calls of at most <see cref="Slice"/> each. A waiting request
/// ends early, with what there is, when the client goes away or the gateway shuts down.
/// </summary>
public sealed class LongPoll(TimeProvider clock, IHostApplicationLifetime lifetime)
{
    public static readonly TimeSpan Slice = TimeSpan.FromSeconds(20);

    public async Task<T> HoldAsync<T>(
        TimeSpan wait, Func<TimeSpan, CancellationToken, Task<T>> attempt, Func<T, bool> finished, CancellationToken requestAborted)
    {
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, lifetime.ApplicationStopping);
        var deadline = clock.GetUtcNow() + wait;
        while (true)
        {
            var remaining = deadline - clock.GetUtcNow();
            var result = await attempt(remaining < Slice ? remaining : Slice, ending.Token);
            if (finished(result) || remaining <= Slice || ending.IsCancellationRequested)
            {
                return result;
            }
        }
    }
}
