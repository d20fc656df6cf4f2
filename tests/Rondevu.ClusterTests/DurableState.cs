namespace Rondevu.ClusterTests;

/// <summary>
/// Offers, answers and candidates written through two entry points, and the JSON every read route
/// returns for them: what a restart of the whole deployment must give back unchanged. Shared by the
/// process cluster's and the compose deployment's tests. o1 (alice's, topics room and other) is
/// answered by bob with candidates both ways; o2 (alice's, room) is unanswered, with secret
/// "s3cret" and info; o3 (bob's, other) is answered by carol, who sent a candidate.
/// </summary>
public sealed class DurableState
{
    private static readonly Dictionary<string, string[]> ByIdentity = new()
    {
        ["offers"] = ["id"],
        ["answers"] = ["offerId"],
        ["iceCandidates"] = ["offerId", "role", "createdAt"],
        ["topics"] = [],
    };

    private readonly Gateway _g1;
    private readonly Gateway _g2;
    private readonly string _prefix;

    private DurableState(Gateway g1, Gateway g2, string prefix, Peer alice, Peer bob, Peer carol, string o1, string o2, string o3)
    {
        (_g1, _g2, _prefix) = (g1, g2, prefix);
        (Alice, Bob, Carol, O1, O2, O3) = (alice, bob, carol, o1, o2, o3);
    }

    public Peer Alice { get; }
    public Peer Bob { get; }
    public Peer Carol { get; }
    public string O1 { get; }
    public string O2 { get; }
    public string O3 { get; }

    /// <summary>Writes the state; its topics start with <paramref name="prefix"/>.</summary>
    public static async Task<DurableState> CreateAsync(Gateway g1, Gateway g2, string prefix)
    {
        var alice = await g1.RegisterAsync();
        var bob = await g2.RegisterAsync();
        var carol = await g2.RegisterAsync();
        var o1 = await g1.CreateOfferOkAsync(alice, "sdp-o1", [$"{prefix}-room", $"{prefix}-other"]);
        var o2 = await g1.CreateOfferOkAsync(alice, "sdp-o2", [$"{prefix}-room"], secret: "s3cret", info: "second");
        var o3 = await g2.CreateOfferOkAsync(bob, "sdp-o3", [$"{prefix}-other"]);
        Assert.True((await g2.AnswerAsync(bob, o1, "answer-o1")).Ok);
        Assert.True((await g1.AnswerAsync(carol, o3, "answer-o3")).Ok);
        Assert.True((await g2.PostCandidatesAsync(bob, o1, Ice.Candidate("bob", 1), Ice.Candidate("bob", 2))).Ok);
        Assert.True((await g1.PostCandidatesAsync(alice, o1, Ice.Candidate("alice", 1))).Ok);
        Assert.True((await g1.PostCandidatesAsync(alice, o1, Ice.Candidate("alice", 2))).Ok);
        Assert.True((await g2.PostCandidatesAsync(carol, o3, Ice.Candidate("carol", 1))).Ok);
        var state = new DurableState(g1, g2, prefix, alice, bob, carol, o1, o2, o3);
        var snapshot = await state.SnapshotAsync();
        Assert.Contains(o2, snapshot["GET /offers/by-topic/room"]);
        Assert.Contains("bob", snapshot["GET /offers/o1/ice-candidates (alice)"]);
        return state;
    }

    /// <summary>Every read route's JSON, canonical (arrays in a fixed order, the poll cursor left out).
    /// With <paramref name="retry"/>, a read that meets activations still loading (5xx) is repeated briefly.</summary>
    public async Task<Dictionary<string, string>> SnapshotAsync(bool retry = false)
    {
        var reads = new (string Name, Gateway Gateway, string Path, Peer? Peer)[]
        {
            ("GET /offers/mine (alice)", _g1, "/offers/mine", Alice),
            ("GET /offers/mine (bob)", _g2, "/offers/mine", Bob),
            ("GET /peers/alice/offers", _g2, $"/peers/{Alice.Id}/offers", null),
            ("GET /peers/bob/offers", _g1, $"/peers/{Bob.Id}/offers", null),
            ("GET /offers/answers (alice)", _g2, "/offers/answers", Alice),
            ("GET /offers/answers (bob)", _g1, "/offers/answers", Bob),
            ("GET /offers/o1/ice-candidates (alice)", _g1, $"/offers/{O1}/ice-candidates", Alice),
            ("GET /offers/o1/ice-candidates (bob)", _g2, $"/offers/{O1}/ice-candidates?since=0", Bob),
            ("GET /offers/o3/ice-candidates (bob)", _g1, $"/offers/{O3}/ice-candidates", Bob),
            ("GET /offers/o3/ice-candidates (carol)", _g2, $"/offers/{O3}/ice-candidates", Carol),
            ("GET /offers/by-topic/room", _g2, $"/offers/by-topic/{_prefix}-room", null),
            ("GET /offers/by-topic/other", _g1, $"/offers/by-topic/{_prefix}-other", null),
            ("GET /topics", _g1, $"/topics?startsWith={_prefix}", null),
            ("GET /poll (alice)", _g2, "/poll?since=0", Alice),
            ("GET /poll (bob)", _g1, "/poll?since=0", Bob),
            ("GET /poll (carol)", _g2, "/poll?since=0", Carol),
        };
        var snapshot = new Dictionary<string, string>();
        foreach (var (name, gateway, path, peer) in reads)
        {
            var reply = retry
                ? await Eventually.ReadAsync(() => gateway.GetAsync(path, peer), TimeSpan.FromSeconds(30))
                : await gateway.GetAsync(path, peer);
            Assert.True(reply.Ok, $"{name}: {reply}");
            snapshot[name] = Json.Canonical(reply.Body, ByIdentity, "timestamp");
        }
        return snapshot;
    }

    /// <summary>Each route whose JSON differs between two snapshots, with both texts.</summary>
    public static List<string> Changes(Dictionary<string, string> before, Dictionary<string, string> after) =>
        before.Where(r => r.Value != after[r.Key])
            .Select(r => $"{r.Key} changed across the restart\n  before: {r.Value}\n  after:  {after[r.Key]}")
            .ToList();
}
