using System.Diagnostics;
using static Microsoft.Playwright.Assertions;

namespace Rondevu.BrowserTests;

/// <summary>Real peers in a real browser: pages of /demo signal through the gateway and chat over WebRTC.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DemoTests(BrowserFixture fixture, ITestOutputHelper output)
{
    static DemoTests() => SetDefaultExpectTimeout(20_000);

    [Fact]
    public async Task Two_pages_connect_through_the_gateway_and_chat_both_ways()
    {
        // A topic that needs encodeURIComponent: a slash, a space, a non-ASCII letter.
        var timing = await ConnectPairAndChatAsync("pair", $"chat/ü {Guid.NewGuid():N}");
        Report($"two pages: {timing}");
    }

    [Fact]
    public async Task A_protected_offer_refuses_a_wrong_secret_and_accepts_the_right_one()
    {
        await using var offererContext = await fixture.NewContextAsync();
        await using var answererContext = await fixture.NewContextAsync();
        var offerer = await DemoPage.OpenAsync(offererContext);
        var answerer = await DemoPage.OpenAsync(answererContext);
        await Diagnose([offerer, answerer], async () =>
        {
            var topic = $"secret-{Guid.NewGuid():N}";
            var offerId = await offerer.PublishAsync(topic, secret: "open sesame", info: "knock first");

            var item = await answerer.DiscoverUntilListedAsync(topic, offerId);
            await Expect(item).ToHaveAttributeAsync("data-has-secret", "true");
            await Expect(item.GetByTestId("offer-info")).ToContainTextAsync("knock first");

            await answerer.AnswerAsync(offerId, secret: "open sesamo");
            await Expect(answerer.Error).ToBeVisibleAsync();
            await Expect(answerer.Error).ToContainTextAsync("403");
            await Expect(answerer.Error).ToContainTextAsync("secret");

            var clock = Stopwatch.StartNew();
            await answerer.AnswerAsync(offerId, secret: "open sesame");
            await Task.WhenAll(offerer.ExpectConnectedAsync(), answerer.ExpectConnectedAsync());
            Report($"secret-protected pair: connected in {clock.Elapsed.TotalMilliseconds:F0} ms after the right secret");
            await Expect(answerer.Error).ToBeHiddenAsync();

            await answerer.SendAsync("the secret was right");
            await offerer.ExpectReceivedAsync("the secret was right");
        });
    }

    [Fact]
    public async Task Five_pairs_connect_at_once_and_chat()
    {
        var clock = Stopwatch.StartNew();
        var timings = await Task.WhenAll(Enumerable.Range(1, 5)
            .Select(i => ConnectPairAndChatAsync($"pair {i}", $"crowd-{i}-{Guid.NewGuid():N}")));
        for (var i = 0; i < timings.Length; i++)
        {
            Report($"five pairs: pair {i + 1} {timings[i]}");
        }
        Report($"five pairs: all connected and chatted within {clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task The_pages_bloom_filter_is_bit_compatible_with_the_server()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await DemoPage.OpenAsync(context);

        // The vectors of vectors.json (computed by the original client's Bloom filter), checked in the page itself.
        var vectors = await page.Page.EvaluateAsync<string[]>("""
            async () => {
              const { createBloom, toBase64 } = await import('/demo/bloom.js');
              const added = ['f17c195f067255e357232e34cf0735d9', '7e3a0c9d5b1f4e2a8c6d0b9a3f2e1d4c'];
              return [128, 37, 1].map(size => toBase64(createBloom(added, size)));
            }
            """);
        Assert.Equal(
            [
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEAAAAAgAAAAAAAAAAAAAAAAAAIAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAAAAAAAAQAAAAAAA=",
                "AAAgAAQAAAAAAAAAAAABAAAAAAAAQAAAAAAAAAAAAAIQAAAAAA==",
                "dw==",
            ],
            vectors);

        // And against the server: the page hides its own offer when it sends its own id in the filter.
        await Diagnose([page], async () =>
        {
            var topic = $"bloom-{Guid.NewGuid():N}";
            var offerId = await page.PublishAsync(topic);
            await page.DiscoverUntilListedAsync(topic, offerId, hideSeen: false);
            Assert.StartsWith("0 shown of 1", await page.DiscoverAsync(topic, hideSeen: true));
        });
    }

    [Fact]
    public async Task The_topic_list_shows_counts_and_leads_to_discovery()
    {
        await using var context = await fixture.NewContextAsync();
        await using var otherContext = await fixture.NewContextAsync();
        var page = await DemoPage.OpenAsync(context);
        var other = await DemoPage.OpenAsync(otherContext);
        var topic = $"listed-{Guid.NewGuid():N}";
        var offerId = await page.PublishAsync(topic);

        var entry = other.Page.Locator($"[data-testid=topic][data-topic='{topic}']");
        for (var attempt = 0; attempt < 10 && await entry.CountAsync() == 0; attempt++)
        {
            await other.Page.GetByTestId("topics-refresh").ClickAsync();
            await Expect(other.Page.GetByTestId("topics").Locator("li").First).ToBeAttachedAsync();
        }
        await Expect(entry).ToContainTextAsync("(1 peer)");
        await entry.GetByRole(AriaRole.Button).ClickAsync();
        await Expect(other.OfferItem(offerId)).ToBeVisibleAsync();
    }

    /// <summary>Opens two fresh profiles on /demo, connects them through the gateway and chats both ways.
    /// Times from "Publish" to both pages showing a connected peer connection and an open channel.</summary>
    private async Task<PairTiming> ConnectPairAndChatAsync(string label, string topic)
    {
        await using var offererContext = await fixture.NewContextAsync();
        await using var answererContext = await fixture.NewContextAsync();
        var offerer = await DemoPage.OpenAsync(offererContext);
        var answerer = await DemoPage.OpenAsync(answererContext);
        PairTiming timing = default;
        await Diagnose([offerer, answerer], async () =>
        {
            var clock = Stopwatch.StartNew();
            var offerId = await offerer.PublishAsync(topic, info: label);
            var published = clock.Elapsed;
            await answerer.DiscoverUntilListedAsync(topic, offerId);
            await answerer.AnswerAsync(offerId);
            var answered = clock.Elapsed;
            await Task.WhenAll(offerer.ExpectConnectedAsync(), answerer.ExpectConnectedAsync());
            timing = new PairTiming(clock.Elapsed, published, answered);

            await offerer.SendAsync($"hello from the offerer of {label}");
            await answerer.ExpectReceivedAsync($"hello from the offerer of {label}");
            await answerer.SendAsync($"hello back from the answerer of {label}");
            await offerer.ExpectReceivedAsync($"hello back from the answerer of {label}");
        });
        return timing;
    }

    private readonly record struct PairTiming(TimeSpan Connected, TimeSpan Published, TimeSpan Answered)
    {
        public override string ToString() =>
            $"connected in {Connected.TotalMilliseconds:F0} ms (offer published at {Published.TotalMilliseconds:F0} ms, " +
            $"answer sent at {Answered.TotalMilliseconds:F0} ms)";
    }

    /// <summary>On failure, attaches each page's event log and the gateway's output.</summary>
    private async Task Diagnose(DemoPage[] pages, Func<Task> test)
    {
        try
        {
            await test();
        }
        catch (Exception e)
        {
            var logs = new List<string>();
            for (var i = 0; i < pages.Length; i++)
            {
                logs.Add($"--- page {i + 1} log (newest first) ---\n{await pages[i].LogAsync()}");
            }
            throw new Exception($"{e.Message}\n{string.Join("\n", logs)}\n--- gateway output ---\n{fixture.Gateway.Output}", e);
        }
    }

    private void Report(string line)
    {
        output.WriteLine(line);
        Console.WriteLine(line);
    }
}
