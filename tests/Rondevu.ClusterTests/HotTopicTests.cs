using System.Collections.Concurrent;
using System.Diagnostics;

namespace Rondevu.ClusterTests;

public sealed partial class ClusterTests
{
    private const int HotWorkers = 32;
    private const int HotRounds = 28;

    /// <summary>
    /// Concurrent writes on one hot topic through both gateways (issue #11's race: reentrant grains whose
    /// state changed while the ADO.NET provider serialized it answered 503). 32 workers, each round: publish
    /// into the hot topic, answer through the other gateway, delete half, and read GET /topics: at least
    /// 2,000 writes in all. Every reply is 2xx and no silo logged a storage error.
    /// </summary>
    [Fact, Order(2)]
    public async Task Concurrent_writes_on_one_hot_topic_through_both_gateways_all_succeed()
    {
        var topic = $"hot-{_run}";
        var failures = new ConcurrentBag<string>();
        var writes = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, HotWorkers).Select(async w =>
        {
            var (offerSide, answerSide) = w % 2 == 0 ? (G1, G2) : (G2, G1);
            var offerer = await offerSide.RegisterAsync();
            var answerer = await answerSide.RegisterAsync();
            void Check(string what, Reply reply)
            {
                Interlocked.Increment(ref writes);
                if (!reply.Ok) failures.Add($"{what}: {reply}");
            }
            for (var r = 0; r < HotRounds; r++)
            {
                var created = await offerSide.CreateOfferAsync(offerer, $"hot-{w}-{r}", [topic]);
                Check("publish", created);
                if (!created.Ok) continue;
                var offerId = (string)created.Json["offers"]![0]!["id"]!;
                Check("answer", await answerSide.AnswerAsync(answerer, offerId, $"hot-answer-{w}-{r}"));
                if (r % 2 == 0)
                {
                    Check("delete", await offerSide.SendAsync(HttpMethod.Delete, $"/offers/{offerId}", peer: offerer));
                }
                var topics = await answerSide.GetAsync($"/topics?startsWith={topic}");
                if (!topics.Ok) failures.Add($"GET /topics: {topics}");
            }
        }));
        Report($"hot topic: {writes} writes by {HotWorkers} workers in {clock.Elapsed.TotalSeconds:F1} s ({writes / clock.Elapsed.TotalSeconds:F0}/s)");

        Assert.True(writes >= 2_000, $"only {writes} writes");
        Assert.True(failures.IsEmpty, $"{failures.Count} failed:\n{string.Join("\n", failures.Take(20))}");
        var storageErrors = Directory.EnumerateFiles(cluster.ClusterDir, "silo-*.log")
            .SelectMany(File.ReadLines)
            .Where(line => line.Contains("Error writing", StringComparison.Ordinal) || line.Contains("InconsistentState", StringComparison.Ordinal)
                || line.Contains("Collection was modified", StringComparison.Ordinal)
                || line.Contains("writing its state failed", StringComparison.Ordinal))
            .ToArray();
        Assert.True(storageErrors.Length == 0, $"storage errors in the silo logs:\n{string.Join("\n", storageErrors.Take(10))}");
        // Every offer was answered, so the topic lists none and GET /topics no longer counts it.
        var left = await G1.GetAsync($"/offers/by-topic/{topic}");
        Assert.Equal(0, (int)left.Json["total"]!);
    }
}
