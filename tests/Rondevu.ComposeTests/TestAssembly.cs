// In the namespace of the linked ByOrder, which names this assembly through it.
namespace Rondevu.ClusterTests;

/// <summary>This assembly's name, for the linked <see cref="ByOrder"/>.</summary>
internal static class TestAssembly
{
    public const string Name = "Rondevu.ComposeTests";
}
