namespace Rondevu.Grains;

/// <summary>
/// Runs an async action at most once at a time; every call made while a run is in flight shares the
/// next run, so a busy grain turns many concurrent changes into one write and each caller still
/// waits for a write that contains its change. Grain-scheduler only: it takes no locks.
/// </summary>
public sealed class Coalescer(Func<Task> action)
{
    private bool _running;
    private TaskCompletionSource? _queued;

    public Task RunAsync()
    {
        if (!_running)
        {
            return RunNowAsync();
        }
        _queued ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _queued.Task;
    }

    private async Task RunNowAsync()
    {
        _running = true;
        try
        {
            await action();
        }
        finally
        {
            _running = false;
            if (_queued is { } next)
            {
                _queued = null;
                _ = RunQueuedAsync(next);
            }
        }
    }

    private async Task RunQueuedAsync(TaskCompletionSource completion)
    {
        try
        {
            await RunNowAsync();
            completion.SetResult();
        }
        catch (Exception error)
        {
            completion.SetException(error);
        }
    }
}
