namespace Rondevu.ClusterTests;

public sealed partial class ClusterTests
{
    private const long ShortTtlMs = 8_000;

    /// <summary>Time allowed after expiresAt for the sweep (every 5 s) to end the offer and the cleanup to
    /// reach the database.</summary>
    private static readonly TimeSpan ReminderSlack = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Expiry on PostgreSQL: an offer with a short ttl is listed while live; the moment it expires no
    /// endpoint returns it; then the service's one sweep removes its row — the only row that names it, as
    /// its owner's and its topics' membership are that row's columns — and GET /topics forgets its topics.
    /// No peer or offer has a reminder of its own: one reminder keeps the sweeper alive.
    /// </summary>
    [Fact, Order(4)]
    public async Task Expired_offer_leaves_no_row_in_postgres()
    {
        var db = Db;
        var owner = await G1.RegisterAsync();
        string[] topics = [$"ttl-{_run}-a", $"ttl-{_run}-b"];
        var created = await G1.CreateOfferAsync(owner, "ttl-sdp", topics, ttl: ShortTtlMs);
        Assert.True(created.Ok, created.ToString());
        var offerId = (string)created.Json["offers"]![0]!["id"]!;
        var expiresAt = (long)created.Json["offers"]![0]!["expiresAt"]!;
        Assert.InRange(expiresAt - NowMs, 0, ShortTtlMs + 1000);

        // While it lives: listed, and every row this test later expects gone is there (so "gone" means something).
        var live = new List<string>();
        if (await db.OfferRowsAsync(offerId) != 1) live.Add("offer row");
        if (await db.OfferRowsOfPeerAsync(owner.Id) != 1) live.Add("offer row under its owner");
        foreach (var topic in topics)
        {
            if (await db.OfferRowsListedInAsync(topic) != 1) live.Add($"offer row listed in {topic}");
        }
        if (await db.ReminderRowsAsync("offersweeper") != 1) live.Add("the sweeper's one reminder row");
        if (await db.ReminderRowsAsync("peer") != 0) live.Add("no reminder row per peer");
        var listed = await G2.GetAsync($"/peers/{owner.Id}/offers");
        var listedTopic = await G2.GetAsync($"/topics?startsWith={topics[0]}");
        Assert.True(NowMs < expiresAt, "the offer expired before it could be checked live; raise ShortTtlMs");
        Assert.True(live.Count == 0, $"rows wrong while the offer lives: {string.Join(", ", live)}");
        Assert.Contains(offerId, listed.Body);
        Assert.Equal(1, (int)listedTopic.Json["total"]!);

        // Past expiresAt, before any cleanup can be relied on: no endpoint returns it.
        var wait = expiresAt - NowMs + 50;
        if (wait > 0) await Task.Delay(TimeSpan.FromMilliseconds(wait));
        foreach (var gateway in cluster.Gateways)
        {
            var peerOffers = await gateway.GetAsync($"/peers/{owner.Id}/offers");
            Assert.True(peerOffers.Ok, peerOffers.ToString());
            Assert.DoesNotContain(offerId, peerOffers.Body);
            var mine = await gateway.GetAsync("/offers/mine", owner);
            Assert.DoesNotContain(offerId, mine.Body);
            foreach (var topic in topics)
            {
                var discovered = await gateway.GetAsync($"/offers/by-topic/{topic}");
                Assert.True(discovered.Ok, discovered.ToString());
                Assert.DoesNotContain(offerId, discovered.Body);
                Assert.Equal(0, (int)discovered.Json["total"]!);
            }
            var answer = await gateway.AnswerAsync(await gateway.RegisterAsync(), offerId, "late");
            Assert.Equal(404, answer.Status);
        }

        // Then the sweep cleans up everywhere, memory and database.
        var took = await Eventually.HoldsAsync("expired offer removed from PostgreSQL", ReminderSlack, async () =>
        {
            var left = new List<string>();
            if (await db.OfferRowsAsync(offerId) > 0) left.Add("offer row");
            var listedTopics = await G2.GetAsync($"/topics?startsWith=ttl-{_run}");
            if (!listedTopics.Ok || (int)listedTopics.Json["total"]! != 0) left.Add($"GET /topics: {listedTopics}");
            return left.Count == 0 ? null : string.Join(", ", left);
        });
        Report($"expired offer's rows gone {took.TotalSeconds:F1} s after expiresAt + first check (ttl {ShortTtlMs} ms)");
    }
}
