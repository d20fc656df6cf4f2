using Xunit.Sdk;

namespace Rondevu.ClusterTests;

/// <summary>Runs a test class's tests by their <see cref="OrderAttribute"/>: the tests share one cluster,
/// and the measurement wants it quiet while the disruptive ones (restarts, a killed silo) come last.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OrderAttribute(int order) : Attribute
{
    public int Order { get; } = order;
}

public sealed class ByOrder : ITestCaseOrderer
{
    public const string TypeName = "Rondevu.ClusterTests.ByOrder";
    public const string AssemblyName = TestAssembly.Name;

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(test => test.TestMethod.Method
                .GetCustomAttributes(typeof(OrderAttribute).AssemblyQualifiedName!)
                .FirstOrDefault()?.GetConstructorArguments().FirstOrDefault() as int? ?? int.MaxValue)
            .ThenBy(test => test.TestMethod.Method.Name, StringComparer.Ordinal);
}
