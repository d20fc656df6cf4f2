using Rondevu.Grains;

namespace Rondevu.Tests.Grains;

/// <summary>
/// <see cref="Coalescer"/> is written for the grain scheduler (one turn at a time, no locks), so
/// every test body runs on an exclusive task scheduler that behaves the same way.
/// </summary>
public sealed class CoalescerTests
{
    private static Task OnGrainLikeScheduler(Func<Task> body) =>
        Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.None,
            new ConcurrentExclusiveSchedulerPair().ExclusiveScheduler).Unwrap();

    /// <summary>Lets the scheduler run everything already queued (continuations of a finished run).</summary>
    private static async Task Drain()
    {
        for (var i = 0; i < 10; i++)
        {
            await Task.Yield();
        }
    }

    /// <summary>An action whose every run waits until the test ends it.</summary>
    private sealed class GatedAction
    {
        private bool _inFlight;

        public List<TaskCompletionSource> Runs { get; } = [];
        public Action? OnStart { get; set; }

        public async Task RunAsync()
        {
            Assert.False(_inFlight, "two runs overlapped");
            _inFlight = true;
            OnStart?.Invoke();
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Runs.Add(gate);
            try
            {
                await gate.Task;
            }
            finally
            {
                _inFlight = false;
            }
        }
    }

    [Fact]
    public Task Calls_made_during_a_run_share_exactly_one_next_run() => OnGrainLikeScheduler(async () =>
    {
        var action = new GatedAction();
        var coalescer = new Coalescer(action.RunAsync);

        var first = coalescer.RunAsync();
        Assert.Single(action.Runs);
        var during = Enumerable.Range(0, 10).Select(_ => coalescer.RunAsync()).ToArray();
        Assert.Single(action.Runs);
        Assert.All(during, t => Assert.False(t.IsCompleted));

        action.Runs[0].SetResult();
        await first;
        await Drain();
        Assert.Equal(2, action.Runs.Count);
        Assert.All(during, t => Assert.False(t.IsCompleted, "a caller finished on a run that started before its call"));

        action.Runs[1].SetResult();
        await Task.WhenAll(during);
        await Drain();
        Assert.Equal(2, action.Runs.Count);

        // Idle again: the next call starts its own run at once.
        var later = coalescer.RunAsync();
        Assert.Equal(3, action.Runs.Count);
        action.Runs[2].SetResult();
        await later;
    });

    [Fact]
    public Task Each_caller_completes_only_after_a_run_that_started_after_its_call() => OnGrainLikeScheduler(async () =>
    {
        // A grain changes its state (version++) and then awaits the write: the write each caller
        // waits for must contain its change, i.e. have started after it.
        long version = 0;
        long persisted = 0;
        long snapshot = 0;
        var action = new GatedAction { OnStart = () => snapshot = version };
        var coalescer = new Coalescer(async () =>
        {
            await action.RunAsync();
            persisted = snapshot;
        });
        var callers = new List<(long Version, Task Task)>();
        var released = 0;

        void CheckCompleted()
        {
            foreach (var (mine, task) in callers)
            {
                if (task.IsCompleted)
                {
                    Assert.True(task.IsCompletedSuccessfully);
                    Assert.True(persisted >= mine, $"change {mine} was acknowledged by a write of version {persisted}");
                }
            }
        }

        var random = new Random(1234);
        for (var step = 0; step < 400; step++)
        {
            if (random.Next(3) > 0 || released == action.Runs.Count)
            {
                version++;
                callers.Add((version, coalescer.RunAsync()));
            }
            else
            {
                action.Runs[released++].SetResult();
                await Drain();
                CheckCompleted();
            }
        }
        while (released < action.Runs.Count)
        {
            action.Runs[released++].SetResult();
            await Drain();
            CheckCompleted();
        }

        Assert.All(callers, c => Assert.True(c.Task.IsCompletedSuccessfully));
        Assert.Equal(version, persisted);
        Assert.True(action.Runs.Count < callers.Count, "calls during a run should have shared runs");
    });

    [Fact]
    public Task A_failed_run_faults_its_own_callers_only() => OnGrainLikeScheduler(async () =>
    {
        var action = new GatedAction();
        var coalescer = new Coalescer(action.RunAsync);

        var a = coalescer.RunAsync();
        var b = coalescer.RunAsync();
        var c = coalescer.RunAsync();
        action.Runs[0].SetException(new InvalidOperationException("run 1"));
        Assert.Equal("run 1", (await Assert.ThrowsAsync<InvalidOperationException>(() => a)).Message);
        await Drain();

        // b and c were waiting for run 2, which still happens and succeeds.
        Assert.Equal(2, action.Runs.Count);
        Assert.False(b.IsCompleted);
        var d = coalescer.RunAsync();
        action.Runs[1].SetResult();
        await Task.WhenAll(b, c);

        // d was waiting for run 3, which fails: only d sees it.
        await Drain();
        Assert.Equal(3, action.Runs.Count);
        Assert.False(d.IsCompleted);
        action.Runs[2].SetException(new InvalidOperationException("run 3"));
        Assert.Equal("run 3", (await Assert.ThrowsAsync<InvalidOperationException>(() => d)).Message);
        Assert.True(b.IsCompletedSuccessfully);
        Assert.True(c.IsCompletedSuccessfully);

        // The coalescer is usable after failures.
        await Drain();
        var e = coalescer.RunAsync();
        Assert.Equal(4, action.Runs.Count);
        action.Runs[3].SetResult();
        await e;
    });

    [Fact]
    public Task A_synchronous_throw_faults_the_caller_and_does_not_wedge_the_coalescer() => OnGrainLikeScheduler(async () =>
    {
        var calls = 0;
        var coalescer = new Coalescer(() => ++calls == 1 ? throw new InvalidOperationException("sync") : Task.CompletedTask);

        await Assert.ThrowsAsync<InvalidOperationException>(() => coalescer.RunAsync());
        await coalescer.RunAsync();
        Assert.Equal(2, calls);
    });
}
