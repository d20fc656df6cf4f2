using System.Collections.Concurrent;
using Rondevu.Grains;

namespace Rondevu.Tests;

/// <summary>
/// Tells a test when a push wait has parked in its peer grain, so that the news meant to release it is
/// written after the wait began, however slow the machine. A wait that finds news, has no time left or is
/// refused returns from the grain method at once; one still running after that has parked.
/// </summary>
public sealed class ParkedWaits : IIncomingGrainCallFilter
{
    private static readonly HashSet<string> WaitMethods =
        [nameof(IPeerGrain.WaitForAnswersAsync), nameof(IPeerGrain.WaitForCandidatesAsync), nameof(IPeerGrain.PollAsync)];

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _expected = new();

    /// <summary>Starts <paramref name="wait"/>, a wait of <paramref name="peerId"/>, and returns it once it has
    /// parked; fails the test when it returns without parking.</summary>
    public async Task<Task<T>> StartAsync<T>(string peerId, Func<Task<T>> wait)
    {
        var parked = _expected.GetOrAdd(peerId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        var waiting = wait();
        if (await Task.WhenAny(parked, waiting).WaitAsync(TimeSpan.FromSeconds(30)) != parked)
        {
            Assert.Fail($"the wait returned without parking: {await waiting}");
        }
        return waiting;
    }

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.DeclaringType != typeof(IPeerGrain) || !WaitMethods.Contains(context.InterfaceMethod.Name))
        {
            await context.Invoke();
            return;
        }
        // The grain runs synchronously up to the wait's first await, so a call not finished here is parked.
        var call = context.Invoke();
        if (!call.IsCompleted && _expected.TryRemove(context.TargetId.Key.ToString(), out var parked))
        {
            parked.SetResult();
        }
        await call;
    }
}
