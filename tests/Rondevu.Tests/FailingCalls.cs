using System.Collections.Concurrent;

namespace Rondevu.Tests;

/// <summary>
/// Makes the next grain call to one grain fail the way the cluster's runtime fails it (a silo gone, a response
/// timeout, a message expired before placement), without a cluster: the gateway's answer to such a failure
/// can then be tested on any machine.
/// </summary>
public sealed class FailingCalls : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, Exception> _armed = new();

    /// <summary>The next call to the grain keyed <paramref name="grainKey"/> throws <paramref name="failure"/> instead of running.</summary>
    public void FailNext(string grainKey, Exception failure) => _armed[grainKey] = failure;

    public Task Invoke(IIncomingGrainCallContext context) =>
        _armed.TryRemove(context.TargetId.Key.ToString()!, out var failure) ? Task.FromException(failure) : context.Invoke();
}
