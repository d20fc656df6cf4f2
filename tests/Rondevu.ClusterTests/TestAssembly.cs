namespace Rondevu.ClusterTests;

/// <summary>This assembly's name, for <see cref="ByOrder"/>, which other test projects link.</summary>
internal static class TestAssembly
{
    public const string Name = "Rondevu.ClusterTests";
}
