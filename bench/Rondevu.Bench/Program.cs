using System.Text.Json;
using Rondevu.Bench;

Options options;
try
{
    options = Options.Parse(args);
}
catch (UsageException e)
{
    if (e.Message.Length > 0) Console.Error.WriteLine($"error: {e.Message}\n");
    Console.Error.WriteLine(Options.Usage);
    return e.Message.Length > 0 ? 2 : 0;
}

// Enough pool threads from the start: the bench must not be the bottleneck it measures.
ThreadPool.GetMinThreads(out var workers, out var io);
ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));

if (options.Mode == "report")
{
    try { return ReportMode.Run(options); }
    catch (UsageException e) { Console.Error.WriteLine($"error: {e.Message}"); return 2; }
}

try
{
    var fields = options.Mode switch
    {
        "handshake" => await HandshakeMode.RunAsync(options),
        "hammer" => await HammerMode.RunAsync(options),
        "discovery" => await DiscoveryMode.RunAsync(options),
        "publish" => await PublishMode.RunAsync(options),
        "memory" => await MemoryMode.RunAsync(options),
        "selftest" => SelfTest(options),
        _ => throw new UsageException($"unknown mode {options.Mode}"),
    };
    Report.Json(options, fields);
    return 0;
}
catch (UsageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
catch (Exception e) when (e is InvalidOperationException or HttpRequestException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static Dictionary<string, object?> SelfTest(Options o)
{
    if (o.Vectors is null) throw new UsageException("selftest needs --vectors PATH (vectors.json)");
    using var doc = JsonDocument.Parse(File.ReadAllBytes(o.Vectors));
    int checks = 0, failures = 0;
    foreach (var v in doc.RootElement.GetProperty("blooms").EnumerateArray())
    {
        var bloom = new Bloom(v.GetProperty("bytes").GetInt32());
        foreach (var id in v.GetProperty("added").EnumerateArray()) bloom.Add(id.GetString()!);
        checks++;
        if (bloom.ToBase64() != v.GetProperty("base64").GetString())
        {
            failures++;
            Console.WriteLine($"  bloom of {v.GetProperty("bytes").GetInt32()} bytes: base64 differs");
        }
        foreach (var t in v.GetProperty("tests").EnumerateObject())
        {
            checks++;
            if (bloom.Test(t.Name) != t.Value.GetBoolean())
            {
                failures++;
                Console.WriteLine($"  bloom test {t.Name}: expected {t.Value.GetBoolean()}");
            }
        }
    }
    Console.WriteLine($"selftest: {checks} Bloom checks, {failures} failures");
    if (failures > 0) throw new InvalidOperationException("Bloom filter does not match the vectors");
    return new() { ["checks"] = checks, ["failures"] = failures };
}
