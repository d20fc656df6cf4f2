using System.Reflection;

namespace Rondevu.Gateway.Hosting;

/// <summary>What <c>/</c> and <c>/health</c> report: <c>VERSION</c>, else the build's git commit, else "unknown".</summary>
public sealed record ServiceVersion(string Value)
{
    public static ServiceVersion From(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new ServiceVersion(configured);
        }
        var informational = typeof(ServiceVersion).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        var plus = informational?.IndexOf('+') ?? -1;
        return new ServiceVersion(plus >= 0 ? informational![(plus + 1)..][..Math.Min(7, informational.Length - plus - 1)] : "unknown");
    }
}
