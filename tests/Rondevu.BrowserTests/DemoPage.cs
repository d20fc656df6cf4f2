using System.Text.RegularExpressions;
using static Microsoft.Playwright.Assertions;

namespace Rondevu.BrowserTests;

/// <summary>The /demo page driven the way a person would: through its form fields and buttons (data-testid).</summary>
public sealed partial class DemoPage(IPage page)
{
    public IPage Page => page;

    public static async Task<DemoPage> OpenAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync("demo/");
        await Expect(page.Locator("body[data-ready=true]")).ToBeAttachedAsync();
        return new DemoPage(page);
    }

    private ILocator Id(string testId) => page.GetByTestId(testId);

    public ILocator Error => Id("error");

    public ILocator OfferItem(string offerId) => page.Locator($"[data-testid=offer][data-offer-id='{offerId}']");

    public async Task<string> RegisterAsync()
    {
        await Id("register").ClickAsync();
        await Expect(Id("peer-id")).ToHaveAttributeAsync("data-peer-id", HexId());
        return (await Id("peer-id").GetAttributeAsync("data-peer-id"))!;
    }

    /// <summary>Publishes one offer and returns its id once the server has accepted it.</summary>
    public async Task<string> PublishAsync(string topics, string secret = "", string info = "")
    {
        await Id("publish-topics").FillAsync(topics);
        await Id("publish-secret").FillAsync(secret);
        await Id("publish-info").FillAsync(info);
        await Id("publish").ClickAsync();
        await Expect(Id("offer-id")).ToHaveAttributeAsync("data-offer-id", HexId());
        return (await Id("offer-id").GetAttributeAsync("data-offer-id"))!;
    }

    /// <summary>Runs one discovery and waits for its summary ("N shown of M live offer(s) on ...").</summary>
    public async Task<string> DiscoverAsync(string topic, bool hideSeen = true)
    {
        await Id("discover-summary").EvaluateAsync("e => e.textContent = ''");
        await Id("discover-topic").FillAsync(topic);
        await Id("discover-hide-seen").SetCheckedAsync(hideSeen);
        await Id("discover").ClickAsync();
        await Expect(Id("discover-summary")).ToContainTextAsync("shown of");
        return await Id("discover-summary").InnerTextAsync();
    }

    /// <summary>Discovers until the offer is listed: an index may lag an instant behind a publish.</summary>
    public async Task<ILocator> DiscoverUntilListedAsync(string topic, string offerId, bool hideSeen = true)
    {
        for (var attempt = 1; ; attempt++)
        {
            await DiscoverAsync(topic, hideSeen);
            if (await OfferItem(offerId).CountAsync() > 0 || attempt == 10)
            {
                await Expect(OfferItem(offerId)).ToBeVisibleAsync();
                return OfferItem(offerId);
            }
        }
    }

    public async Task AnswerAsync(string offerId, string? secret = null)
    {
        var item = OfferItem(offerId);
        if (secret is not null)
        {
            await item.GetByTestId("answer-secret").FillAsync(secret);
        }
        await item.GetByTestId("answer-button").ClickAsync();
    }

    public async Task ExpectConnectedAsync()
    {
        await Expect(Id("connection-state")).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 30_000 });
        await Expect(Id("channel-state")).ToHaveAttributeAsync("data-state", "open", new() { Timeout = 30_000 });
    }

    public async Task SendAsync(string text)
    {
        await Id("chat-input").FillAsync(text);
        await Id("chat-send").ClickAsync();
        await Expect(page.Locator("[data-testid=chat-message][data-from=me]", new() { HasText = text })).ToBeVisibleAsync();
    }

    public Task ExpectReceivedAsync(string text) =>
        Expect(page.Locator("[data-testid=chat-message][data-from=peer]", new() { HasText = text })).ToBeVisibleAsync();

    /// <summary>The page's event log, newest first: attached to failures.</summary>
    public async Task<string> LogAsync()
    {
        try
        {
            return await Id("log").InnerTextAsync(new() { Timeout = 2_000 });
        }
        catch (PlaywrightException e)
        {
            return $"(log unavailable: {e.Message})";
        }
    }

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex HexId();
}
