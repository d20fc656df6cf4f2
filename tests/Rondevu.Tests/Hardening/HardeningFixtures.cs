using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rondevu.Gateway.Auth;
using Rondevu.Tests.Http;

namespace Rondevu.Tests.Hardening;

/// <summary>Helpers every hardening fixture shares: the gateway's port, credentials issued without
/// <c>POST /register</c> (so rate-limit budgets are spent only where a test means to), and clients
/// that connect from another loopback address (Linux routes all of 127.0.0.0/8 to lo).</summary>
public abstract class HardeningFixtureBase : GatewayFixtureBase
{
    public int Port => Http.BaseAddress!.Port;

    /// <summary>Credentials for a fresh peer id, made with the gateway's own key: no request spent.</summary>
    public Peer IssuePeer()
    {
        var id = Guid.NewGuid().ToString("N");
        return new Peer(id, Factory.Services.GetRequiredService<CredentialCipher>().Issue(id));
    }

    /// <summary>A client whose connections come from <paramref name="source"/> (e.g. 127.0.0.7) instead of 127.0.0.1.</summary>
    public Api ClientFrom(IPAddress source)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new Api(new HttpClient(handler) { BaseAddress = Http.BaseAddress, Timeout = TimeSpan.FromSeconds(10) });
    }

    private static int _nextSource = 10;

    /// <summary>A loopback source address no other test of this process has used: its own per-IP budgets.</summary>
    public static IPAddress FreshSourceAddress()
    {
        var n = Interlocked.Increment(ref _nextSource);
        return new IPAddress([127, 0, (byte)(n / 250), (byte)(n % 250 + 2)]);
    }
}

/// <summary>Rate limits off (<see cref="GatewayFactory.IsolatedSettings"/>): thousands of malformed requests.</summary>
public sealed class FuzzGatewayFixture : HardeningFixtureBase
{
    public const string AuthSecret = "5f4dcc3b5aa765d61d8327deb882cf995f4dcc3b5aa765d61d8327deb882cf99";

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["AUTH_SECRET"] = AuthSecret;
        // The known offers must outlive the fuzzing, answered ones included.
        settings["OFFER_MAX_TTL"] = "86400000";
        settings["ANSWERED_OFFER_TTL"] = "3600000";
        settings["Logging:LogLevel:Default"] = "Critical";
        settings["Logging:LogLevel:Orleans"] = "Critical";
    }
}

/// <summary>Default limits (rate limits off) with every log line of every category captured, for secret scans.</summary>
public sealed class SecurityGatewayFixture : HardeningFixtureBase
{
    public const string AuthSecret = "c0ffee00c0ffee01c0ffee02c0ffee03c0ffee04c0ffee05c0ffee06c0ffee07";

    public LogCapture Logs { get; } = new();

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["AUTH_SECRET"] = AuthSecret;
    }

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.AddSingleton<ILoggerProvider>(Logs);
        // Only for this provider: everything, down to Trace, whatever Logging:LogLevel says for the console.
        services.AddLogging(logging => logging.AddFilter<LogCapture>(null, LogLevel.Trace));
    }
}

/// <summary>Small limits, no trusted proxy: RATE_LIMIT_REGISTER=3, RATE_LIMIT_WRITES=5, RATE_LIMIT_PEER=8.</summary>
public sealed class RateLimitGatewayFixture : HardeningFixtureBase
{
    public const int Register = 3;
    public const int Writes = 5;
    public const int PerPeer = 8;

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["AUTH_SECRET"] = "1111111111111111111111111111111111111111111111111111111111111111";
        settings["RATE_LIMIT_REGISTER"] = Register.ToString();
        settings["RATE_LIMIT_WRITES"] = Writes.ToString();
        settings["RATE_LIMIT_PEER"] = PerPeer.ToString();
    }
}

/// <summary>TRUSTED_PROXIES=127.0.0.1 with RATE_LIMIT_REGISTER=3, the other two limits off (0), and
/// MAX_BODY_SIZE=2048.</summary>
public sealed class ProxyGatewayFixture : HardeningFixtureBase
{
    public const int Register = 3;
    public const int MaxBodySize = 2048;

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["AUTH_SECRET"] = "2222222222222222222222222222222222222222222222222222222222222222";
        settings["TRUSTED_PROXIES"] = "127.0.0.1";
        settings["RATE_LIMIT_REGISTER"] = Register.ToString();
        settings["RATE_LIMIT_WRITES"] = "0";
        settings["RATE_LIMIT_PEER"] = "0";
        settings["MAX_BODY_SIZE"] = MaxBodySize.ToString();
    }
}

/// <summary>Default settings, for /metrics and the health probes.</summary>
public sealed class OperationsGatewayFixture : HardeningFixtureBase
{
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["AUTH_SECRET"] = "3333333333333333333333333333333333333333333333333333333333333333";
    }
}

[CollectionDefinition("hardening-fuzz")]
public sealed class FuzzCollection : ICollectionFixture<FuzzGatewayFixture>;

[CollectionDefinition("hardening-security")]
public sealed class SecurityCollection : ICollectionFixture<SecurityGatewayFixture>;

/// <summary>
/// Alone, after every parallel collection: ASP.NET Core's and Orleans' instruments are per host, with
/// the same names in every host of the test process, and OpenTelemetry aggregates same-named
/// instruments into one stream that it drops once any of those instruments is disposed. Another
/// gateway or test cluster stopping during a scrape would make http_server_* and orleans_* vanish
/// from this gateway's /metrics. (One host per process in production: not a concern there.)
/// </summary>
[CollectionDefinition("hardening-operations", DisableParallelization = true)]
public sealed class OperationsCollection : ICollectionFixture<OperationsGatewayFixture>;

[CollectionDefinition("hardening-rate-limits")]
public sealed class RateLimitCollection : ICollectionFixture<RateLimitGatewayFixture>;

[CollectionDefinition("hardening-proxy")]
public sealed class ProxyCollection : ICollectionFixture<ProxyGatewayFixture>;

/// <summary>Keeps every log entry as text: category, level, message, exception and scopes.</summary>
public sealed class LogCapture : ILoggerProvider, ISupportExternalScope
{
    public sealed record Entry(LogLevel Level, string Category, string Text)
    {
        public override string ToString() => Text;
    }

    private readonly ConcurrentQueue<Entry> _entries = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyCollection<Entry> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = new System.Text.StringBuilder();
            text.Append(logLevel).Append(' ').Append(category).Append(": ").Append(formatter(state, exception));
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    text.Append(" |").Append(key).Append('=').Append(value);
                }
            }
            owner._scopes.ForEachScope((scope, builder) => builder.Append(" |scope=").Append(scope), text);
            if (exception is not null)
            {
                text.Append(" |exception=").Append(exception);
            }
            owner._entries.Enqueue(new Entry(logLevel, category, text.ToString()));
        }
    }
}
