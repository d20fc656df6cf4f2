using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Rondevu.Tests.Http;

/// <summary>
/// The real gateway (its <c>Program</c>, co-hosted silo included) on real Kestrel at 127.0.0.1 with an
/// ephemeral HTTP port. Settings go through <see cref="IWebHostBuilder.UseSetting"/>, which reaches
/// Program's <c>builder.Configuration</c> before it reads the silo ports and <c>urls</c>.
/// </summary>
public sealed class GatewayFactory(
    IReadOnlyDictionary<string, string?> settings,
    Action<IServiceCollection>? services = null) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
        if (services is not null)
        {
            builder.ConfigureTestServices(services);
        }
    }

    /// <summary>Settings that let several gateways (fixtures, test runs) coexist on one machine.</summary>
    public static Dictionary<string, string?> IsolatedSettings()
    {
        var (siloPort, gatewayPort) = FreePorts();
        return new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Orleans:SiloPort"] = siloPort.ToString(),
            ["Orleans:GatewayPort"] = gatewayPort.ToString(),
            ["Orleans:ClusterId"] = "http-tests-" + Guid.NewGuid().ToString("N")[..8],
            // Rate limits have their own tests; everywhere else one loopback client sends it all.
            ["RATE_LIMIT_REGISTER"] = "0",
            ["RATE_LIMIT_WRITES"] = "0",
            ["RATE_LIMIT_PEER"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Orleans"] = "Error",
        };
    }

    /// <summary>Two distinct free TCP ports on the loopback interface, both held until both are known.</summary>
    public static (int First, int Second) FreePorts()
    {
        using var first = new TcpListener(IPAddress.Loopback, 0);
        using var second = new TcpListener(IPAddress.Loopback, 0);
        first.Start();
        second.Start();
        var ports = (((IPEndPoint)first.LocalEndpoint).Port, ((IPEndPoint)second.LocalEndpoint).Port);
        first.Stop();
        second.Stop();
        return ports;
    }
}

/// <summary>One booted gateway shared by a collection of tests.</summary>
public abstract class GatewayFixtureBase : IAsyncLifetime
{
    private GatewayFactory? _factory;

    public Dictionary<string, string?> Settings { get; } = GatewayFactory.IsolatedSettings();
    public GatewayFactory Factory => _factory ?? throw new InvalidOperationException("Not started");
    public HttpClient Http { get; private set; } = null!;
    public Api Api { get; private set; } = null!;

    /// <summary>Wall-clock time plus an offset the tests move forward: timestamps differ without waiting,
    /// and offers expire before any reminder or timer (which run on real time) has cleaned them up.</summary>
    public ShiftableClock Clock { get; } = new();

    public ParkedWaits ParkedWaits { get; } = new();

    public FailingCalls FailingCalls { get; } = new();

    protected abstract void Configure(Dictionary<string, string?> settings);

    protected virtual void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<TimeProvider>(Clock);
        // Orleans' membership, messaging, reminders and activation collection stay on real time, so moving
        // the clock by minutes does not make them think a silo died or every grain went idle.
        services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
        services.AddSingleton<IIncomingGrainCallFilter>(ParkedWaits);
        services.AddSingleton<IIncomingGrainCallFilter>(FailingCalls);
    }

    public async Task InitializeAsync()
    {
        Configure(Settings);
        _factory = new GatewayFactory(Settings, ConfigureServices);
        _factory.UseKestrel();
        await Task.Run(_factory.StartServer);
        var addresses = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        // A plain client over real sockets, as a browser or the TypeScript client would connect.
        Http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = new Uri(addresses.Single()),
        };
        Api = new Api(Http);
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }
}

/// <summary>Default limits, except TTLs chosen so that the default, the minimum and the maximum differ.</summary>
public sealed class GatewayFixture : GatewayFixtureBase
{
    /// <summary>The key of the first two credential vectors in vectors.json.</summary>
    public const string AuthSecret = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    public const string Version = "test-0.1.5";
    public const long DefaultTtl = 120_000;
    public const long MinTtl = 60_000;
    public const long MaxTtl = 3_600_000;
    public const long AnsweredTtl = 60_000;

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["AUTH_SECRET"] = AuthSecret;
        settings["VERSION"] = Version;
        settings["OFFER_DEFAULT_TTL"] = DefaultTtl.ToString();
        settings["OFFER_MIN_TTL"] = MinTtl.ToString();
        settings["OFFER_MAX_TTL"] = MaxTtl.ToString();
    }
}

/// <summary>Small limits, a low OFFER_MIN_TTL and a CORS allow-list: caps, expiry and origin checks.</summary>
public sealed class LimitsGatewayFixture : GatewayFixtureBase
{
    /// <summary>The key of the third credential vector in vectors.json.</summary>
    public const string AuthSecret = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    public const int MaxOffersPerPeer = 3;
    public const int MaxIceCandidatesPerOffer = 5;
    public const int MaxTopicsPerOffer = 7;
    public const long MinTtl = 30_000;
    public const long DefaultTtl = 60_000;
    public const long AnsweredTtl = 5000;
    public const string AllowedOrigin = "https://app.example.com";
    public const string OtherAllowedOrigin = "http://localhost:5173";

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["AUTH_SECRET"] = AuthSecret;
        settings["MAX_OFFERS_PER_PEER"] = MaxOffersPerPeer.ToString();
        settings["MAX_ICE_CANDIDATES_PER_OFFER"] = MaxIceCandidatesPerOffer.ToString();
        settings["MAX_TOPICS_PER_OFFER"] = MaxTopicsPerOffer.ToString();
        settings["OFFER_MIN_TTL"] = MinTtl.ToString();
        settings["OFFER_DEFAULT_TTL"] = DefaultTtl.ToString();
        settings["ANSWERED_OFFER_TTL"] = AnsweredTtl.ToString();
        settings["CORS_ORIGINS"] = $"{AllowedOrigin}, {OtherAllowedOrigin}";
    }
}

public sealed class ShiftableClock : TimeProvider
{
    private long _offsetMs;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddMilliseconds(Interlocked.Read(ref _offsetMs));

    public long NowMs => GetUtcNow().ToUnixTimeMilliseconds();

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetMs, (long)by.TotalMilliseconds);

    /// <summary>Moves the clock one millisecond, so that the next timestamp is strictly later than the last.</summary>
    public void Tick() => Advance(TimeSpan.FromMilliseconds(1));

    /// <summary>Moves the clock just past <paramref name="unixMs"/>.</summary>
    public void AdvancePast(long unixMs)
    {
        var now = NowMs;
        if (now <= unixMs)
        {
            Advance(TimeSpan.FromMilliseconds(unixMs - now + 1));
        }
    }
}

[CollectionDefinition("gateway")]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>;

[CollectionDefinition("gateway-limits")]
public sealed class LimitsGatewayCollection : ICollectionFixture<LimitsGatewayFixture>;
