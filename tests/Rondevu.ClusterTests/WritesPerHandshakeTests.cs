using System.Diagnostics;

namespace Rondevu.ClusterTests;

public sealed partial class ClusterTests
{
    private const int Handshakes = 20;

    /// <summary>Bound on the database rows written per handshake, all tables counted. The durable floor is 7
    /// (the offer's creation, its answer, four candidate posts, its delete); everything else must be nearly
    /// free (issue #11).</summary>
    private const double MaxTupleWritesPerHandshake = 10;

    /// <summary>Bound on committed transactions per handshake (they include the reads of grain activations).</summary>
    private const double MaxCommitsPerHandshake = 80;

    /// <summary>
    /// PostgreSQL is the one shared part of the cluster, so every handshake's database writes are
    /// counted: N complete handshakes as the client library performs them (two registrations, an offer
    /// in 2 topics, discovery, answer, 2 candidates each way posted concurrently one per request, the
    /// answers poll, both candidate reads, delete). pg_stat_database is updated asynchronously (a
    /// backend flushes its counters at most once a second and at the latest 10 s after going idle;
    /// pg_stat_force_next_flush() only flushes the calling backend), so both snapshots are taken once
    /// the counters have been still for longer than that.
    /// </summary>
    [Fact, Order(1)]
    public async Task Handshake_writes_to_postgres_stay_few()
    {
        Report($"cluster.sh up took {cluster.UpTime.TotalSeconds:F1} s");
        var before = await SettledCountersAsync(sinceActivity: cluster.UpFinishedUtc);

        var clock = Stopwatch.StartNew();
        var shared = $"writes-{_run}-room";
        for (var i = 0; i < Handshakes; i++)
        {
            await HandshakeAsync(i % 2 == 0 ? G1 : G2, i % 2 == 0 ? G2 : G1, [shared, $"writes-{_run}-{i}"], i);
        }
        var elapsed = clock.Elapsed;
        var lastActivity = DateTime.UtcNow;

        var after = await SettledCountersAsync(sinceActivity: lastActivity);
        var delta = after - before;
        var tuples = delta.Tuples / (double)Handshakes;
        var commits = delta.Commits / (double)Handshakes;
        Report($"{Handshakes} handshakes in {elapsed.TotalSeconds:F1} s: {delta.Tuples} tuple writes ({tuples:F1} per handshake; " +
            $"offers {delta.StorageTuples / (double)Handshakes:F1}, reminders {delta.ReminderTuples / (double)Handshakes:F1}), " +
            $"{delta.Commits} commits ({commits:F1} per handshake, reads included)");

        Assert.True(delta.StorageTuples > 0, "no grain state was written at all: the measurement saw nothing, or storage is not PostgreSQL");
        Assert.True(tuples <= MaxTupleWritesPerHandshake,
            $"{tuples:F1} tuple writes per handshake (bound {MaxTupleWritesPerHandshake})");
        Assert.True(commits < MaxCommitsPerHandshake,
            $"{commits:F1} commits per handshake (bound {MaxCommitsPerHandshake})");
    }

    /// <summary>One handshake the way @xtr-dev/rondevu-client performs it, each step checked.</summary>
    private async Task HandshakeAsync(Gateway offererSide, Gateway answererSide, string[] topics, int n)
    {
        var offerer = await offererSide.RegisterAsync();
        var answerer = await answererSide.RegisterAsync();
        var offerId = await offererSide.CreateOfferOkAsync(offerer, $"offer-sdp-{n}", topics, ttl: 300_000);

        var found = await answererSide.GetAsync($"/offers/by-topic/{Uri.EscapeDataString(topics[1])}?limit=10");
        Assert.True(found.Ok, found.ToString());
        Assert.Contains(offerId, found.Body);

        var answer = await answererSide.AnswerAsync(answerer, offerId, $"answer-sdp-{n}");
        Assert.True(answer.Ok, $"answer: {answer}");

        var posts = await Task.WhenAll(
            answererSide.PostCandidatesAsync(answerer, offerId, Ice.Candidate("a", 1)),
            answererSide.PostCandidatesAsync(answerer, offerId, Ice.Candidate("a", 2)),
            offererSide.PostCandidatesAsync(offerer, offerId, Ice.Candidate("o", 1)),
            offererSide.PostCandidatesAsync(offerer, offerId, Ice.Candidate("o", 2)));
        Assert.All(posts, p => Assert.True(p.Ok, $"candidates: {p}"));

        var answers = await offererSide.GetAsync("/offers/answers", offerer);
        Assert.True(answers.Ok && answers.Body.Contains(offerId), $"answers: {answers}");
        var offererReads = await offererSide.GetAsync($"/offers/{offerId}/ice-candidates?since=0", offerer);
        var answererReads = await answererSide.GetAsync($"/offers/{offerId}/ice-candidates?since=0", answerer);
        Assert.Equal(2, Json.CandidateTexts(offererReads.Body).Count);
        Assert.Equal(2, Json.CandidateTexts(answererReads.Body).Count);

        var deleted = await offererSide.SendAsync(HttpMethod.Delete, $"/offers/{offerId}", peer: offerer);
        Assert.True(deleted.Ok, $"delete: {deleted}");
    }

    /// <summary>The counters once no backend can still hold unflushed statistics of activity that
    /// ended at <paramref name="sinceActivity"/> (PostgreSQL flushes an idle backend's within 10 s),
    /// and they have stopped moving.</summary>
    private async Task<WriteCounters> SettledCountersAsync(DateTime sinceActivity)
    {
        var quietFrom = sinceActivity + TimeSpan.FromSeconds(11);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        var last = await Db.DatabaseCountersAsync();
        while (true)
        {
            await Task.Delay(1000);
            var now = await Db.DatabaseCountersAsync();
            if ((now == last && DateTime.UtcNow >= quietFrom) || DateTime.UtcNow > deadline)
            {
                return await Db.CountersAsync();
            }
            last = now;
        }
    }
}
