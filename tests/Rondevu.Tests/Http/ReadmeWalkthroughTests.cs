using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Rondevu.Tests.Http;

/// <summary>The README's curl walk-through works as written, against the real gateway.</summary>
[Collection("gateway")]
public sealed partial class ReadmeWalkthroughTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Readme_curl_walkthrough_runs_step_by_step()
    {
        var script = WalkthroughBlock().Match(await File.ReadAllTextAsync(FindReadme())).Groups["script"].Value;
        Assert.False(string.IsNullOrWhiteSpace(script), "README has no walkthrough block");

        var start = new ProcessStartInfo("bash", ["-e", "-o", "pipefail", "-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["H"] = fixture.Http.BaseAddress!.ToString().TrimEnd('/');
        using var bash = Process.Start(start)!;
        var output = await bash.StandardOutput.ReadToEndAsync();
        var errors = await bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync();

        Assert.True(bash.ExitCode == 0, $"exit {bash.ExitCode}\n{output}\n{errors}");
        var offerId = Regex.Match(output, "offer: ([0-9a-f]{32})").Groups[1].Value;
        Assert.NotEmpty(offerId);
        Assert.Contains($"\"offerId\":\"{offerId}\",\"answererId\"", output);
        Assert.Contains("\"role\":\"answerer\"", output);
        Assert.Contains("\"role\":\"offerer\"", output);
        Assert.Contains("\"sdp\":\"v=0 bob-answer\"", output);
        Assert.Contains("{\"deleted\":true}", output);
        Assert.EndsWith("\"offers\":[]}", output.TrimEnd());
    }

    [GeneratedRegex("<!-- walkthrough:start -->\\s*```bash\\n(?<script>.*?)```\\s*<!-- walkthrough:end -->", RegexOptions.Singleline)]
    private static partial Regex WalkthroughBlock();

    private static string FindReadme()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var readme = Path.Combine(dir.FullName, "README.md");
            if (File.Exists(readme) && File.Exists(Path.Combine(dir.FullName, "Rondevu.sln")))
            {
                return readme;
            }
        }
        throw new FileNotFoundException("README.md above the test assembly");
    }
}
