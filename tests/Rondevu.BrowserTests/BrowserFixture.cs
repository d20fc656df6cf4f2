namespace Rondevu.BrowserTests;

/// <summary>One gateway process and one headless Chromium shared by every browser test.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium: Playwright's own browsers are never downloaded here.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--use-fake-ui-for-media-stream",
    ];

    private GatewayProcess? _gateway;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public GatewayProcess Gateway => _gateway ?? throw new InvalidOperationException("Not started");
    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Not started");
    public Uri BaseAddress => Gateway.BaseAddress;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"{ChromiumPath} is missing: install Debian's Chromium with `apt-get install -y chromium` (the tests never download a browser)");
        }
        _gateway = await GatewayProcess.StartAsync(TimeSpan.FromSeconds(60));
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    /// <summary>A fresh browser profile (its own storage, like a separate user), with the gateway as base URL.</summary>
    public async Task<IBrowserContext> NewContextAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseAddress.ToString() });
        context.SetDefaultTimeout(20_000);
        return context;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
        if (_gateway is not null) await _gateway.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
