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

    /// <summary>Comma-separated proxy IPs or CIDR networks whose <c>X-Forwarded-For</c> names the client; empty: trust none.</summary>
    [ConfigurationKeyName("TRUSTED_PROXIES")] public string TrustedProxies { get; set; } = "";

    /// <summary>Largest request body in bytes (→ 413); the default fits MAX_OFFERS_PER_REQUEST offers of MAX_SDP_SIZE.</summary>
    [ConfigurationKeyName("MAX_BODY_SIZE")] public long MaxBodySize { get; set; } = 10 * 1024 * 1024;

    /// <summary>Each trusted proxy as a network; a single address is a network of one.</summary>
    public IPNetwork[] TrustedProxyNetworks() =>
        TrustedProxies.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(ParseNetwork).ToArray();

    internal static IPNetwork ParseNetwork(string proxy) =>
        IPAddress.TryParse(proxy, out var address)
            ? new IPNetwork(address, address.GetAddressBytes().Length * 8)
            : IPNetwork.Parse(proxy);
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
            if (!IPAddress.TryParse(proxy, out _) && !IPNetwork.TryParse(proxy, out _))
            {
                errors.Add($"TRUSTED_PROXIES: '{proxy}' is neither an IP address nor a CIDR network");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
