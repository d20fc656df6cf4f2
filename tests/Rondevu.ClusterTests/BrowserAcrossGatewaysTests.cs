using System.Diagnostics;
using Rondevu.BrowserTests;

namespace Rondevu.ClusterTests;

public sealed partial class ClusterTests
{
    /// <summary>
    /// Two real WebRTC peers in headless Chromium, each on its own gateway's /demo page: the offer is
    /// published through gateway 1, discovered and answered through gateway 2, ICE crosses between
    /// them, and the data channel carries messages both ways.
    /// </summary>
    [Fact, Order(2)]
    public async Task Browser_peers_on_different_gateways_connect_and_chat()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        async Task<DemoPage> OpenOn(Gateway gateway)
        {
            var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = gateway.BaseAddress.ToString() });
            context.SetDefaultTimeout(20_000);
            return await DemoPage.OpenAsync(context);
        }
        var offerer = await OpenOn(G1);
        var answerer = await OpenOn(G2);

        var clock = Stopwatch.StartNew();
        var topic = $"browsers-{_run}";
        var offerId = await offerer.PublishAsync(topic);
        await answerer.DiscoverUntilListedAsync(topic, offerId);
        await answerer.AnswerAsync(offerId);
        await Task.WhenAll(offerer.ExpectConnectedAsync(), answerer.ExpectConnectedAsync());
        Report($"browser peers on gateways 1 and 2 connected {clock.Elapsed.TotalMilliseconds:F0} ms after publishing");

        await offerer.SendAsync("hello through gateway 1");
        await answerer.ExpectReceivedAsync("hello through gateway 1");
        await answerer.SendAsync("hello back through gateway 2");
        await offerer.ExpectReceivedAsync("hello back through gateway 2");
    }
}
