using Microsoft.Extensions.Options;

namespace Rondevu.Gateway.Configuration;

/// <summary>The gateway's own settings, bound from the original server's environment variables.</summary>
public sealed class GatewaySettings
{
    [ConfigurationKeyName("PORT")] public int Port { get; set; } = 3000;

    /// <summary>Interface to listen on; <c>0.0.0.0</c> in containers. Ignored when ASP.NET's <c>urls</c> is set.</summary>
    [ConfigurationKeyName("HOST")] public string Host { get; set; } = "localhost";

    [ConfigurationKeyName("CORS_ORIGINS")] public string CorsOrigins { get; set; } = "*";

    /// <summary>64 hex characters: the AES-256-GCM key of every credential.</summary>
    [ConfigurationKeyName("AUTH_SECRET")] public string? AuthSecret { get; set; }

    [ConfigurationKeyName("VERSION")] public string? Version { get; set; }

    public string[] AllowedOrigins =>
        CorsOrigins.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

public sealed class GatewaySettingsValidator(IOptions<OrleansSettings> orleans) : IValidateOptions<GatewaySettings>
{
    public ValidateOptionsResult Validate(string? name, GatewaySettings options)
    {
        var errors = new List<string>();
        if (options.Port is < 1 or > 65535)
        {
            errors.Add($"PORT must be between 1 and 65535 (got {options.Port})");
        }
        if (string.IsNullOrEmpty(options.AuthSecret))
        {
            if (orleans.Value.Clustering != ClusteringMode.Localhost)
            {
                errors.Add("AUTH_SECRET is required in cluster mode: every gateway must share it");
            }
        }
        else if (options.AuthSecret.Length != 64 || !options.AuthSecret.All(Uri.IsHexDigit))
        {
            errors.Add("AUTH_SECRET must be 64 hexadecimal characters (32 bytes)");
        }
        if (options.AllowedOrigins.Length == 0)
        {
            errors.Add("CORS_ORIGINS must be '*' or a comma-separated list of origins");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
