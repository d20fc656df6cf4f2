using System.Net;
using Microsoft.Extensions.Options;

namespace Rondevu.Gateway.Configuration;

/// <summary>Abuse limits. Every rate is requests per minute; 0 turns that limit off.</summary>
public sealed class ProtectionSettings
{
    /// <summary><c>POST /register</c> per client IP: registering is free, so it is the cheapest thing to flood.</summary>
    [ConfigurationKeyName("RATE_LIMIT_REGISTER")] public int RegisterPerMinute { get; set; } = 60;

    /// <summary>Every other POST, PUT and DELETE per client IP.</summary>
    [ConfigurationKeyName("RATE_LIMIT_WRITES")] public int WritesPerMinute { get; set; } = 1200;

    /// <summary>Every request of one authenticated peer, wherever it comes from.</summary>
    [ConfigurationKeyName("RATE_LIMIT_PEER")] public int PeerRequestsPerMinute { get; set; } = 1200;

    /// <summary>Comma-separated proxy IPs whose <c>X-Forwarded-For</c> names the client; empty: trust none.</summary>
    [ConfigurationKeyName("TRUSTED_PROXIES")] public string TrustedProxies { get; set; } = "";

    /// <summary>Largest request body in bytes (→ 413); the default fits MAX_OFFERS_PER_REQUEST offers of MAX_SDP_SIZE.</summary>
    [ConfigurationKeyName("MAX_BODY_SIZE")] public long MaxBodySize { get; set; } = 10 * 1024 * 1024;

    public IPAddress[] TrustedProxyAddresses() =>
        TrustedProxies.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(IPAddress.Parse).ToArray();
}

public sealed class ProtectionSettingsValidator : IValidateOptions<ProtectionSettings>
{
    public ValidateOptionsResult Validate(string? name, ProtectionSettings options)
    {
        var errors = new List<string>();
        if (options.RegisterPerMinute < 0) errors.Add("RATE_LIMIT_REGISTER must be 0 (off) or a positive integer");
        if (options.WritesPerMinute < 0) errors.Add("RATE_LIMIT_WRITES must be 0 (off) or a positive integer");
        if (options.PeerRequestsPerMinute < 0) errors.Add("RATE_LIMIT_PEER must be 0 (off) or a positive integer");
        if (options.MaxBodySize < 1024) errors.Add("MAX_BODY_SIZE must be at least 1024 bytes");
        foreach (var proxy in options.TrustedProxies.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IPAddress.TryParse(proxy, out _)) errors.Add($"TRUSTED_PROXIES: '{proxy}' is not an IP address");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
