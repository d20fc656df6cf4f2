using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Rondevu.ClusterTests;

public sealed partial class ClusterTests
{
    private const int WaitSeconds = 20;

    /// <summary>A held request must end this soon after the write that makes its news; far below the
    /// 20 s it would otherwise wait, generous for a loaded 2-core machine.</summary>
    private static readonly TimeSpan ReleaseBound = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Push delivery across gateways: a request held on one gateway is released by a write that
    /// arrives through the other, well before its wait ends — for GET /poll (answers and candidates),
    /// GET /offers/answers?wait and GET /offers/{id}/ice-candidates?wait.
    /// </summary>
    [Fact, Order(3)]
    public async Task Held_requests_are_released_by_writes_through_the_other_gateway()
    {
        // One at a time: each knows its request waits when the silos' count of waiting requests goes up.
        Func<Task<string>>[] checks =
            [PollReleasedByAnswerAsync, AnswersWaitReleasedByAnswerAsync, CandidatesWaitReleasedByCandidateAsync, PollReleasedByCandidateAsync];
        foreach (var check in checks)
        {
            Report(await check());
        }
    }

    private async Task<string> PollReleasedByAnswerAsync()
    {
        var (offerer, answerer, offerId) = await OfferAsync(G1, "poll-answer");
        var released = await HoldThenWriteAsync(
            "GET /poll on gateway 2",
            () => G2.GetAsync($"/poll?since=0&wait={WaitSeconds}", offerer),
            () => G1.AnswerAsync(answerer, offerId, "push answer"));
        var answers = released.Json["answers"]!.AsArray();
        Assert.Contains(answers, a => (string)a!["offerId"]! == offerId && (string)a["answererId"]! == answerer.Id);
        Assert.True((long)released.Json["timestamp"]! > 0);
        return $"poll (gateway 2) released {released.Elapsed.TotalMilliseconds:F0} ms after an answer on gateway 1";
    }

    private async Task<string> AnswersWaitReleasedByAnswerAsync()
    {
        var (offerer, answerer, offerId) = await OfferAsync(G1, "answers-wait");
        var released = await HoldThenWriteAsync(
            "GET /offers/answers?wait on gateway 2",
            () => G2.GetAsync($"/offers/answers?wait={WaitSeconds}", offerer),
            () => G1.AnswerAsync(answerer, offerId, "push answer 2"));
        var answer = Assert.Single(released.Json["answers"]!.AsArray())!;
        Assert.Equal(offerId, (string)answer["offerId"]!);
        Assert.Equal("push answer 2", (string)answer["sdp"]!);
        return $"answers?wait (gateway 2) released {released.Elapsed.TotalMilliseconds:F0} ms after an answer on gateway 1";
    }

    private async Task<string> CandidatesWaitReleasedByCandidateAsync()
    {
        var (offerer, answerer, offerId) = await OfferAsync(G2, "ice-wait");
        Assert.True((await G2.AnswerAsync(answerer, offerId, "sdp")).Ok);
        var candidate = Ice.Candidate("push", 3);
        var released = await HoldThenWriteAsync(
            "GET /offers/{id}/ice-candidates?wait on gateway 1",
            () => G1.GetAsync($"/offers/{offerId}/ice-candidates?since=0&wait={WaitSeconds}", offerer),
            () => G2.PostCandidatesAsync(answerer, offerId, candidate));
        Assert.Equal([candidate], Json.CandidateTexts(released.Body));
        return $"ice-candidates?wait (gateway 1) released {released.Elapsed.TotalMilliseconds:F0} ms after a candidate on gateway 2";
    }

    private async Task<string> PollReleasedByCandidateAsync()
    {
        var (offerer, answerer, offerId) = await OfferAsync(G2, "poll-ice");
        Assert.True((await G1.AnswerAsync(answerer, offerId, "sdp")).Ok);
        var candidate = Ice.Candidate("poll", 4);
        var released = await HoldThenWriteAsync(
            "GET /poll (answerer) on gateway 1",
            () => G1.GetAsync($"/poll?since=0&wait={WaitSeconds}", answerer),
            () => G2.PostCandidatesAsync(offerer, offerId, candidate));
        var polled = Assert.Single(released.Json["iceCandidates"]!.AsArray())!;
        Assert.Equal(offerId, (string)polled["offerId"]!);
        Assert.Equal("offerer", (string)polled["role"]!);
        using var document = System.Text.Json.JsonDocument.Parse(released.Body);
        Assert.Equal(candidate, document.RootElement.GetProperty("iceCandidates")[0].GetProperty("candidate").GetRawText());
        return $"poll (answerer, gateway 1) released {released.Elapsed.TotalMilliseconds:F0} ms after a candidate on gateway 2";
    }

    private async Task<(Peer Offerer, Peer Answerer, string OfferId)> OfferAsync(Gateway gateway, string name)
    {
        var offerer = await gateway.RegisterAsync();
        var answerer = await gateway.RegisterAsync();
        var offerId = await gateway.CreateOfferOkAsync(offerer, $"sdp-{name}", [$"push-{_run}-{name}"]);
        return (offerer, answerer, offerId);
    }

    /// <summary>Once no request waits in the silos, starts the held request, waits until the silos count
    /// it as waiting in its peer grain, performs the write, and returns the held reply with Elapsed = the
    /// time from the write's acknowledgement to the release.</summary>
    private async Task<Reply> HoldThenWriteAsync(string what, Func<Task<Reply>> hold, Func<Task<Reply>> write)
    {
        await Eventually.HoldsAsync("no request to wait in the silos", TimeSpan.FromSeconds(30), async () =>
            await WaitingRequestsAsync() is var waiting && waiting == 0 ? null : $"{waiting} still wait", TimeSpan.FromMilliseconds(100));
        var held = hold();
        await Eventually.HoldsAsync($"{what} to wait in its peer grain", TimeSpan.FromSeconds(30), async () =>
        {
            Assert.False(held.IsCompleted, $"{what} returned before there was any news: {(held.IsCompleted ? held.Result : null)}");
            return await WaitingRequestsAsync() > 0 ? null : "no request waits in the silos yet";
        }, TimeSpan.FromMilliseconds(100));

        var written = await write();
        Assert.True(written.Ok, $"write releasing {what}: {written}");
        var clock = Stopwatch.StartNew();
        var reply = await held;
        var sinceWrite = clock.Elapsed;
        Assert.True(reply.Ok, $"{what}: {reply}");
        Assert.True(sinceWrite < ReleaseBound,
            $"{what} was released {sinceWrite.TotalSeconds:F1} s after the write (bound {ReleaseBound.TotalSeconds} s, wait {WaitSeconds} s): {reply}");
        return reply with { Elapsed = sinceWrite };
    }

    /// <summary>Requests waiting in peer grains: the gauge rondevu_polls_waiting summed over every silo's /metrics.</summary>
    private async Task<double> WaitingRequestsAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var total = 0.0;
        for (var n = 1; n <= ClusterFixture.Silos; n++)
        {
            var text = await http.GetStringAsync($"http://127.0.0.1:{cluster.SiloHttpPortBase + n}/metrics");
            total += Regex.Matches(text, @"^rondevu_polls_waiting(?:\{[^}]*\})?\s+(\S+)", RegexOptions.Multiline)
                .Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        }
        return total;
    }
}
