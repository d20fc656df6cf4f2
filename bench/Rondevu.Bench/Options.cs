using System.Globalization;

namespace Rondevu.Bench;

/// <summary>Command line: a mode, then --name value pairs and flags. Deliberately tiny.</summary>
public sealed class Options
{
    public string Mode { get; private set; } = "";
    public List<string> Urls { get; private set; } = ["http://127.0.0.1:3000"];
    public int Pairs { get; private set; } = 16;
    public double Duration { get; private set; } = 20;
    public double Warmup { get; private set; } = 3;
    public bool Push { get; private set; }
    public int WaitSeconds { get; private set; } = 10;
    public string Route { get; private set; } = "/health";
    public int Concurrency { get; private set; } = -1;
    public int Offers { get; private set; } = 1000;
    public int BloomPeers { get; private set; } = 100;
    public int BloomBytes { get; private set; } = 128;
    public int Limit { get; private set; } = 50;
    public int SdpSize { get; private set; } = 1500;
    public bool SdpSizeSet { get; private set; }
    public double Settle { get; private set; } = 10;
    public string? BeforeCommand { get; private set; }
    public List<int> Pids { get; private set; } = [];
    public string? JsonOut { get; private set; }
    public string? Label { get; private set; }
    public string? Vectors { get; private set; }
    public int FillConcurrency { get; private set; } = 8;
    public bool Cross { get; private set; } = true;
    public string? Results { get; private set; }
    public string? OutPath { get; private set; }
    public bool Check { get; private set; }
    public int BatchSize { get; private set; } = 10;
    public double FillTimeout { get; private set; } = 1200;
    public int Topics { get; private set; } = -1;

    public const string Usage = """
        Rondevu.Bench MODE [options]

        Modes
          handshake   N virtual peer pairs run the full signaling handshake for T seconds
                      (create offer, discover, answer, 2+2 ICE, poll answers, read ICE both sides, delete)
                      --push: the push variant (GET /poll?since&wait instead of fixed-order reads)
          hammer      one GET route as fast as possible (--route /health, --concurrency C)
          discovery   fill one topic with --offers K offers, then time GET /offers/by-topic/{t}?limit=50
          publish     fill one topic with --offers K offers, then time publishing one more (and deleting it) into it
                      without and with a Bloom filter of --bloom-peers ids
          memory      server RSS before/after creating --offers K offers with a small SDP
          selftest    check the Bloom filter against --vectors /path/to/vectors.json
          report      write docs/BENCHMARKS.md from a scripts/bench.sh results folder (--results DIR --out FILE;
                      --check: only print the single-process targets that were missed)

        Options
          --url URL[,URL...]   base URL(s) (default http://127.0.0.1:3000); with several, pair i's offerer
                               uses URL[i mod n] and its answerer URL[(i+1) mod n] (--no-cross: both URL[i mod n])
          --pairs N            handshake pairs (16)
          --duration S         measured seconds (20; discovery: per variant, default 10)
          --warmup S           unmeasured seconds before (3)
          --push               handshake over GET /poll?since&wait
          --wait S             push: wait= seconds for held polls (10)
          --route PATH         hammer route (/health)
          --concurrency C      hammer: concurrent requests (32); discovery: concurrent readers (1); publish: writers (8)
          --offers K           discovery/publish/memory: offers in the topic (1000)
          --bloom-peers N      discovery: ids in the Bloom filter (100)
          --bloom-bytes B      discovery: Bloom filter size (128, the client's default)
          --sdp-size N         handshake SDP chars (1500); discovery/memory use 64
          --settle S           memory: seconds to let the server settle before each RSS sample (10)
          --before-command C   memory: shell command run after the warm-up, before the first sample (scripts/bench.sh
                               takes a heap dump there)
          --fill-concurrency C discovery/memory: concurrent POST /offers while filling (8)
          --batch N            discovery/memory: offers per POST /offers while filling (10, at most 100)
          --fill-timeout S     discovery/memory: stop filling after S seconds and measure what is there (1200)
          --topics N           memory: spread the offers over N topics (default: one per 1000 offers)
          --pid P[,P...]       server process id(s): report their RSS and CPU% (summed)
          --json FILE          also append the JSON line to FILE
          --label TEXT         free text copied into the JSON line
        """;

    public static Options Parse(string[] args)
    {
        var o = new Options();
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            throw new UsageException(null);
        }
        o.Mode = args[0];
        bool durationSet = false;
        for (int i = 1; i < args.Length; i++)
        {
            string name = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{name} needs a value");
            int Int() { var s = Next(); return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0 ? v : throw new UsageException($"{name}: not a whole number: {s}"); }
            double Dbl() { var s = Next(); return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 ? v : throw new UsageException($"{name}: not a number: {s}"); }
            switch (name)
            {
                case "--url": o.Urls = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u => u.TrimEnd('/')).ToList(); break;
                case "--pairs": o.Pairs = Math.Max(1, Int()); break;
                case "--duration": o.Duration = Dbl(); durationSet = true; break;
                case "--warmup": o.Warmup = Dbl(); break;
                case "--push": o.Push = true; break;
                case "--wait": o.WaitSeconds = Math.Clamp(Int(), 1, 30); break;
                case "--route": o.Route = Next(); break;
                case "--concurrency": o.Concurrency = Math.Max(1, Int()); break;
                case "--offers": o.Offers = Math.Max(1, Int()); break;
                case "--bloom-peers": o.BloomPeers = Int(); break;
                case "--bloom-bytes": o.BloomBytes = Math.Clamp(Int(), 1, 4096); break;
                case "--limit": o.Limit = Math.Clamp(Int(), 1, 200); break;
                case "--sdp-size": o.SdpSize = Math.Max(1, Int()); o.SdpSizeSet = true; break;
                case "--settle": o.Settle = Dbl(); break;
                case "--before-command": o.BeforeCommand = Next(); break;
                case "--fill-concurrency": o.FillConcurrency = Math.Max(1, Int()); break;
                case "--pid":
                    o.Pids = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(p => int.TryParse(p, out var v) ? v : throw new UsageException($"--pid: bad pid {p}")).ToList();
                    break;
                case "--json": o.JsonOut = Next(); break;
                case "--label": o.Label = Next(); break;
                case "--vectors": o.Vectors = Next(); break;
                case "--no-cross": o.Cross = false; break;
                case "--results": o.Results = Next(); break;
                case "--out": o.OutPath = Next(); break;
                case "--check": o.Check = true; break;
                case "--batch": o.BatchSize = Math.Clamp(Int(), 1, 100); break;
                case "--fill-timeout": o.FillTimeout = Dbl(); break;
                case "--topics": o.Topics = Math.Max(1, Int()); break;
                default: throw new UsageException($"unknown option {name}");
            }
        }
        if (o.Mode is not ("handshake" or "hammer" or "discovery" or "publish" or "memory" or "selftest" or "report"))
        {
            throw new UsageException($"unknown mode {o.Mode}");
        }
        if (o.Mode == "discovery" && !durationSet) o.Duration = 10;
        if (o.Concurrency < 0) o.Concurrency = o.Mode switch { "discovery" => 1, "publish" => 8, _ => 32 };
        if (o.Urls.Count == 0) throw new UsageException("--url is empty");
        return o;
    }
}

public sealed class UsageException(string? message) : Exception(message ?? "");
