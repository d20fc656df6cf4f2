namespace Rondevu.Grains;

/// <summary>
/// Requests of one peer waiting for news, without a thread or a blocked grain each: they all await one
/// signal, which every delivery completes and replaces. At most <c>MAX_WAITERS_PER_PEER</c> wait at once.
/// Not thread-safe: the peer grain's scheduler serializes every call.
/// </summary>
internal sealed class NewsWaiters(int max, RondevuMetrics metrics)
{
    private TaskCompletionSource _news = NewSignal();
    private int _waiting;

    public void Signal()
    {
        var news = _news;
        _news = NewSignal();
        news.SetResult();
    }

    /// <summary>Ready at once when <paramref name="ready"/> holds; otherwise waits for it until the deadline or the caller going away.</summary>
    public async Task<WaitStatus> WaitUntilAsync(Func<bool> ready, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (ready())
        {
            return WaitStatus.Ready;
        }
        if (wait <= TimeSpan.Zero || cancellationToken.IsCancellationRequested)
        {
            return WaitStatus.TimedOut;
        }
        if (_waiting >= max)
        {
            return WaitStatus.TooManyWaiters;
        }
        _waiting++;
        metrics.WaitingPolls.Add(1);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(wait);
            while (!ready())
            {
                try
                {
                    await _news.Task.WaitAsync(deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    return ready() ? WaitStatus.Ready : WaitStatus.TimedOut;
                }
            }
            return WaitStatus.Ready;
        }
        finally
        {
            _waiting--;
            metrics.WaitingPolls.Add(-1);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
