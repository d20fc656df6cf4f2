namespace Rondevu.ClusterTests;

/// <summary>docker-compose.yml, checked statically (no Docker engine needed). Its own collection: it
/// needs no cluster and runs beside the cluster tests.</summary>
public sealed class ComposeValidationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Compose_file_passes_validate_compose_script()
    {
        var root = Script.RepositoryRoot();
        var result = await Script.RunAsync(
            Path.Combine(root, "scripts", "validate-compose.sh"), [], env: null, TimeSpan.FromMinutes(5), workingDirectory: root);
        output.WriteLine(result.Output);
        Assert.True(result.ExitCode == 0, $"scripts/validate-compose.sh exited {result.ExitCode}:\n{result.Output}");
    }
}
