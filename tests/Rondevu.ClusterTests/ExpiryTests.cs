namespace Rondevu.ClusterTests;

public sealed partial class ClusterTests
{
    private const long ShortTtlMs = 5_000;

    /// <summary>Time allowed after expiresAt for the PostgreSQL-backed reminder to fire and the cleanup to
    /// reach the database.</summary>
    private static readonly TimeSpan ReminderSlack = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Expiry on PostgreSQL reminders: an offer with a short ttl is listed while live; the moment it
    /// expires no endpoint returns it; then its owner's sweep reminder removes every trace from the
    /// database — the offer's grain row, its entries in both topics' rows (the rows themselves, as the
    /// topics are left empty), its topic-index entries, its owner's peer row and, the peer having no
    /// offer left, the sweep reminder's row. The peer registers the reminder due at its earliest expiry
    /// (only the period is held to Orleans' one-minute minimum, and the silo exposes no setting for that
    /// minimum; none is needed).
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
        if (await db.SweepReminderRowsAsync(owner.Id) != 1) live.Add("sweep reminder row");
        if (await db.PeerRowsMentioningAsync(owner.Id, offerId) != 1) live.Add("peer row naming the offer");
        foreach (var topic in topics)
        {
            if (await db.TopicRowsMentioningAsync(topic, offerId) != 1) live.Add($"topic row {topic} naming the offer");
            if (await db.TopicIndexMentionsAsync(topic) != 1) live.Add($"topic index entry {topic}");
        }
        var stillLive = NowMs < expiresAt;
        Assert.True(live.Count == 0 || !stillLive, $"rows missing while the offer lives: {string.Join(", ", live)}");
        var listed = await G2.GetAsync($"/peers/{owner.Id}/offers");
        Assert.True(!stillLive || listed.Body.Contains(offerId) || NowMs >= expiresAt, $"live offer not listed: {listed}");

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
            if (await db.SweepReminderRowsAsync(owner.Id) > 0) left.Add("sweep reminder row");
            if (await db.PeerRowsAsync(owner.Id) > 0) left.Add("peer row");
            foreach (var topic in topics)
            {
                if (await db.TopicRowsAsync(topic) > 0) left.Add($"topic row {topic}");
                if (await db.TopicIndexMentionsAsync(topic) > 0) left.Add($"topic index entry {topic}");
            }
            var listedTopics = await G2.GetAsync($"/topics?startsWith=ttl-{_run}");
            if (!listedTopics.Ok || (int)listedTopics.Json["total"]! != 0) left.Add($"GET /topics: {listedTopics}");
            return left.Count == 0 ? null : string.Join(", ", left);
        });
        Report($"expired offer's rows gone {took.TotalSeconds:F1} s after expiresAt + first check (ttl {ShortTtlMs} ms)");
    }
}
