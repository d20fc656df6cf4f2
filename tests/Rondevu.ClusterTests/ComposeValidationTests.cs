namespace Rondevu.ClusterTests;

/// <summary>docker-compose.yml, checked statically (no Docker engine needed). Its own collection: it
/// needs no cluster and runs beside the cluster tests.</summary>
public sealed class ComposeValidationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Compose_file_passes_validate_compose_script()
    {
        var root = FindRoot();
        var result = await ClusterFixture.RunAsync(
            Path.Combine(root, "scripts", "validate-compose.sh"), [], env: null, TimeSpan.FromMinutes(5), workingDirectory: root);
        output.WriteLine(result.Output);
        Assert.True(result.ExitCode == 0, $"scripts/validate-compose.sh exited {result.ExitCode}:\n{result.Output}");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "validate-compose.sh"))) return dir.FullName;
        }
        throw new InvalidOperationException("scripts/validate-compose.sh not found above " + AppContext.BaseDirectory);
    }
}
