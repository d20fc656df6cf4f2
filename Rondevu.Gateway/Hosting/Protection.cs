using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Rondevu.Gateway.Auth;
using Rondevu.Gateway.Configuration;
using Rondevu.Gateway.Http;

namespace Rondevu.Gateway.Hosting;

/// <summary>Abuse limits with ASP.NET Core's own parts: forwarded headers, Kestrel's body limit, the rate limiter.</summary>
public static class Protection
{
    public static WebApplicationBuilder AddRondevuProtection(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ProtectionSettings>().Bind(builder.Configuration).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ProtectionSettings>, ProtectionSettingsValidator>();

        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ProtectionSettings>>((kestrel, settings) =>
            kestrel.Limits.MaxRequestBodySize = settings.Value.MaxBodySize);

        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProtectionSettings>>((options, settings) =>
        {
            // Only the configured proxies: ASP.NET trusts loopback by default, and every sender when
            // both lists are empty, so with no proxy configured the header is not read at all.
            var proxies = settings.Value.TrustedProxyNetworks();
            options.ForwardedHeaders = proxies.Length > 0 ? ForwardedHeaders.XForwardedFor : ForwardedHeaders.None;
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var network in proxies)
            {
                options.KnownIPNetworks.Add(network);
            }
        });

        // The limits are the validated settings, so the limiter is configured where they can be injected, below.
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<ProtectionSettings>>((options, protection) =>
        {
            var settings = protection.Value;
            options.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PerMinute(settings.RegisterPerMinute, c => IsRegister(c.Request) ? "register:" + ClientIp(c) : null),
                PerMinute(settings.WritesPerMinute, c => IsWrite(c.Request) && !IsRegister(c.Request) ? "writes:" + ClientIp(c) : null),
                PerMinute(settings.PeerRequestsPerMinute, c => c.User.Identity?.IsAuthenticated == true ? "peer:" + c.User.PeerId() : null));
            options.OnRejected = async (context, cancellationToken) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter =
                        Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                }
                await ApiErrors.TooMany("Rate limit exceeded; retry later").ExecuteAsync(context.HttpContext);
            };
        });
        return builder;
    }

    private static PartitionedRateLimiter<HttpContext> PerMinute(int permits, Func<HttpContext, string?> partition) =>
        PartitionedRateLimiter.Create<HttpContext, string>(context =>
            permits > 0 && partition(context) is { } key
                ? RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = permits,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                })
                : RateLimitPartition.GetNoLimiter(""));

    private static bool IsRegister(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) && request.Path.Equals("/register", StringComparison.OrdinalIgnoreCase);

    private static bool IsWrite(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsDelete(request.Method);

    private static string ClientIp(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
