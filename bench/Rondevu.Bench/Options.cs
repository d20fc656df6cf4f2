using System.CommandLine;

namespace Rondevu.Bench;

/// <summary>One mode's command line. Each mode is a subcommand that declares only the options it reads, with its own defaults.</summary>
public sealed class Options(ParseResult parsed)
{
    private const StringSplitOptions ListSplit = StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries;

    public string Mode => parsed.CommandResult.Command.Name;
    public List<string> Urls => [.. Get<string>("--url").Split(',', ListSplit).Select(u => u.TrimEnd('/'))];
    public int Pairs => Get<int>("--pairs");
    public double Duration => Get<double>("--duration");
    public double Warmup => Get<double>("--warmup");
    public bool Push => Get<bool>("--push");
    public int WaitSeconds => Get<int>("--wait");
    public bool Cross => !Get<bool>("--no-cross");
    public string Route => Get<string>("--route");
    public int Concurrency => Get<int>("--concurrency");
    public int Offers => Get<int>("--offers");
    public int BloomPeers => Get<int>("--bloom-peers");
    public int BloomBytes => Get<int>("--bloom-bytes");
    public int Limit => Get<int>("--limit");
    public int SdpSize => Get<int>("--sdp-size");
    public double Settle => Get<double>("--settle");
    public string? BeforeCommand => Get<string?>("--before-command");
    public int FillConcurrency => Get<int>("--fill-concurrency");
    public int BatchSize => Get<int>("--batch");
    public double FillTimeout => Get<double>("--fill-timeout");
    public int Topics => Get<int>("--topics");
    public List<int> Pids => [.. (Get<string?>("--pid") ?? "").Split(',', ListSplit).Select(int.Parse)];
    public string? JsonOut => Get<string?>("--json");
    public string? Label => Get<string?>("--label");
    public string Results => Get<string>("--results");
    public string OutPath => Get<string>("--out");
    public bool Check => Get<bool>("--check");

    private T Get<T>(string name) => parsed.GetValue<T>(name)!;

    /// <summary>The modes; <paramref name="run"/> runs one and returns its exit code.</summary>
    public static RootCommand Commands(Func<Options, Task<int>> run)
    {
        // Memory takes no --duration or --warmup: it samples RSS around a fill, and it needs --pid.
        Option[] Load(double? duration) =>
        [
            Opt("--url", "http://127.0.0.1:3000", "base URL(s), comma-separated; with several, pair i's offerer uses URL[i mod n] and its answerer URL[(i+1) mod n]"),
            .. duration is { } seconds ? [Opt("--duration", seconds, "measured seconds"), Opt("--warmup", 3.0, "unmeasured seconds before")] : Array.Empty<Option>(),
            PidOption(required: duration is null),
            Opt<string?>("--json", null, "also append the JSON line to FILE"),
            Opt<string?>("--label", null, "free text copied into the JSON line"),
        ];
        Option[] Fill(int sdpSize) =>
        [
            Opt("--offers", 1000, "offers in the topic", min: 1),
            Opt("--sdp-size", sdpSize, "SDP chars", min: 1),
            Opt("--fill-concurrency", 8, "concurrent POST /offers while filling", min: 1),
            Opt("--batch", 10, "offers per POST /offers while filling", min: 1, max: 100),
            Opt("--fill-timeout", 1200.0, "stop filling after S seconds and measure what is there"),
        ];
        Command Mode(string name, string description, params Option[][] options)
        {
            var command = new Command(name, description);
            foreach (var option in options.SelectMany(o => o)) command.Add(option);
            command.SetAction(parsed => run(new Options(parsed)));
            return command;
        }
        return new RootCommand("Load generator for the Rondevu HTTP API (docs/BENCHMARKS.md, scripts/bench.sh)")
        {
            Mode("handshake", "N virtual peer pairs run the full signaling handshake (11 requests) back to back", Load(20),
            [
                Opt("--pairs", 16, "handshake pairs", min: 1),
                Opt("--sdp-size", 1500, "SDP chars", min: 1),
                Opt("--push", false, "the push variant: GET /poll?since&wait instead of fixed-order reads"),
                Opt("--wait", 10, "push: wait= seconds for held polls", min: 1, max: 30),
                Opt("--no-cross", false, "with several URLs, both sides of pair i use URL[i mod n]"),
            ]),
            Mode("hammer", "one GET route as fast as possible", Load(20),
                [Opt("--route", "/health", "the route"), Opt("--concurrency", 32, "concurrent requests", min: 1)]),
            Mode("discovery", "fill one topic, then time GET /offers/by-topic/{t}?limit=50 without and with a Bloom filter", Load(10), Fill(64),
            [
                Opt("--concurrency", 1, "concurrent readers", min: 1),
                Opt("--limit", 50, "page size", min: 1, max: 200),
                Opt("--bloom-peers", 100, "ids in the Bloom filter"),
                Opt("--bloom-bytes", 128, "Bloom filter size (the client's default)", min: 1, max: 4096),
            ]),
            Mode("publish", "fill one topic, then time publishing one more offer into it (and deleting it)", Load(20), Fill(1500),
                [Opt("--concurrency", 8, "concurrent writers", min: 1)]),
            Mode("memory", "server RSS before/after creating --offers offers with a small SDP", Load(null), Fill(64),
            [
                Opt("--settle", 10.0, "seconds to let the server settle before each RSS sample"),
                Opt<string?>("--before-command", null, "shell command run after the warm-up, before the first sample (scripts/bench.sh takes a heap dump there)"),
                Opt("--topics", 0, "spread the offers over N topics (0: one per 1000 offers)"),
            ]),
            Mode("report", "write docs/BENCHMARKS.md from a scripts/bench.sh results folder",
            [
                new Option<string>("--results") { Description = "the results folder", Required = true },
                Opt("--out", "docs/BENCHMARKS.md", "the report to write"),
                Opt("--check", false, "only print the single-process targets that were missed"),
            ]),
        };
    }

    private static Option<string?> PidOption(bool required)
    {
        // No default value: it would count as given and satisfy Required.
        var option = new Option<string?>("--pid") { Description = "server process id(s), comma-separated: report their RSS and CPU% (summed)", Required = required };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>()?.Split(',', ListSplit).Any(p => !int.TryParse(p, out _)) == true) r.AddError("--pid: not a list of process ids");
        });
        return option;
    }

    private static Option<T> Opt<T>(string name, T defaultValue, string description, double min = 0, double max = double.MaxValue)
    {
        var option = new Option<T>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        if (defaultValue is int or double)
        {
            option.Validators.Add(r =>
            {
                var value = Convert.ToDouble(r.GetValueOrDefault<T>());
                if (value < min || value > max) r.AddError(max == double.MaxValue ? $"{name} must be at least {min} (got {value})" : $"{name} must be between {min} and {max} (got {value})");
            });
        }
        return option;
    }
}
