using System.CommandLine;
using Rondevu.Bench;

// Enough pool threads from the start: the bench must not be the bottleneck it measures.
ThreadPool.GetMinThreads(out var workers, out var io);
ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));

return await Options.Commands(Run).Parse(args).InvokeAsync();

static async Task<int> Run(Options o)
{
    try
    {
        if (o.Mode == "report") return ReportMode.Run(o);
        var fields = o.Mode switch
        {
            "handshake" => await HandshakeMode.RunAsync(o),
            "hammer" => await HammerMode.RunAsync(o),
            "discovery" => await DiscoveryMode.RunAsync(o),
            "publish" => await PublishMode.RunAsync(o),
            _ => await MemoryMode.RunAsync(o),
        };
        Report.Json(o, fields);
        return 0;
    }
    catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }
}
