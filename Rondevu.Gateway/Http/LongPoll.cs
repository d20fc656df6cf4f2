namespace Rondevu.Gateway.Http;

/// <summary>
/// Holds a push request for up to its <c>wait</c>. Orleans fails a grain call after 30 s, so a long
/// wait is held as consecutive grain calls of at most <see cref="Slice"/> each.
/// </summary>
public static class LongPoll
{
    public static readonly TimeSpan Slice = TimeSpan.FromSeconds(20);

    public static async Task<T> HoldAsync<T>(
        TimeSpan wait, Func<TimeSpan, Task<T>> attempt, Func<T, bool> finished, TimeProvider clock, CancellationToken cancellationToken)
    {
        var deadline = clock.GetUtcNow() + wait;
        while (true)
        {
            var remaining = deadline - clock.GetUtcNow();
            var result = await attempt(remaining < Slice ? remaining : Slice);
            if (finished(result) || remaining <= Slice || cancellationToken.IsCancellationRequested)
            {
                return result;
            }
        }
    }
}
