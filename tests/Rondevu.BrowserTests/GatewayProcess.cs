using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace Rondevu.BrowserTests;

/// <summary>
/// The real gateway as users run it: <c>dotnet Rondevu.Gateway.dll</c> in its own process, single-process mode
/// (co-hosted silo, in-memory storage), on 127.0.0.1 with free HTTP and Orleans ports.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>What the process printed so far: attached to failures.</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static async Task<GatewayProcess> StartAsync(TimeSpan timeout)
    {
        var dll = typeof(GatewayProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "GatewayDll").Value!;
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"Build the gateway first: {dll} is missing", dll);
        }

        var ports = FreePorts(3);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.Environment["HOST"] = "127.0.0.1";
        start.Environment["PORT"] = ports[0].ToString();
        start.Environment["Orleans__SiloPort"] = ports[1].ToString();
        start.Environment["Orleans__GatewayPort"] = ports[2].ToString();
        start.Environment["Orleans__ClusterId"] = "browser-tests-" + Guid.NewGuid().ToString("N")[..8];
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // Every page registers from the same loopback address, faster than a real user would.
        start.Environment["RATE_LIMIT_REGISTER"] = "0";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Orleans"] = "Error";

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var gateway = new GatewayProcess(process, new Uri($"http://127.0.0.1:{ports[0]}/"));
        process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await gateway.WaitUntilHealthyAsync(timeout);
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
        return gateway;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private async Task WaitUntilHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The gateway exited with code {_process.ExitCode}:\n{Output}");
            }
            try
            {
                using var response = await http.GetAsync("health");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"The gateway did not answer /health within {timeout}:\n{Output}");
    }

    /// <summary>Distinct free TCP ports on the loopback interface, all held until all are known.</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners) listener.Start();
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners) listener.Stop();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
