using System.Text;
using System.Text.Json;
using Rondevu.Tests.Http;

namespace Rondevu.Tests.Hardening;

/// <summary>
/// Deterministic generator of malformed requests over every route of API.md: each request starts as a
/// well-formed call of one route and gets one to three mutations (body, path, query, headers,
/// credentials, method, HTTP framing). The same seed and the same inputs give the same requests.
/// </summary>
/// <remarks>
/// Safety rules, so that the state of the known offers must come out unchanged: writes (POST, PUT,
/// DELETE, PATCH, …) never carry a valid credential of the known offers' owner or answerers, only a
/// fuzz peer's or an invalid one; those participants' valid credentials are used for reads only. A
/// valid <c>wait</c> longer than 2 s goes only with an invalid credential, so no request is held for long.
/// </remarks>
public sealed class FuzzGenerator(int seed, FuzzGenerator.Inputs inputs)
{
    public sealed record Inputs(
        Peer Owner,
        Peer[] Participants,
        string[] KnownOfferIds,
        string KnownTopic,
        Peer[] FuzzPeers,
        Peer OtherKeyPeer);

    private enum Auth { None, Read, Write }

    private sealed record Route(string Method, string Template, Auth Auth, bool HasBody, string[] QueryKeys);

    private static readonly Route[] Routes =
    [
        new("GET", "/", Auth.None, false, []),
        new("GET", "/health", Auth.None, false, []),
        new("POST", "/register", Auth.None, true, []),
        new("POST", "/offers", Auth.Write, true, []),
        new("GET", "/offers/by-topic/{topic}", Auth.None, false, ["limit", "bloom"]),
        new("GET", "/topics", Auth.None, false, ["limit", "offset", "startsWith"]),
        new("GET", "/peers/{peer}/offers", Auth.None, false, []),
        new("GET", "/offers/mine", Auth.Read, false, []),
        new("PUT", "/offers/{offer}/heartbeat", Auth.Write, false, []),
        new("DELETE", "/offers/{offer}", Auth.Write, false, []),
        new("POST", "/offers/{offer}/answer", Auth.Write, true, []),
        new("GET", "/offers/answers", Auth.Read, false, ["since", "wait"]),
        new("POST", "/offers/{offer}/ice-candidates", Auth.Write, true, []),
        new("GET", "/offers/{offer}/ice-candidates", Auth.Read, false, ["since", "wait"]),
        new("GET", "/poll", Auth.Read, false, ["since", "wait"]),
        new("GET", "/metrics", Auth.None, false, []),
        new("GET", "/health/live", Auth.None, false, []),
        new("GET", "/health/ready", Auth.None, false, []),
        new("GET", "/openapi/v1.json", Auth.None, false, []),
        new("GET", "/docs", Auth.None, false, []),
        new("GET", "/demo/", Auth.None, false, []),
    ];

    // Routes a fuzz run hits most: the ones that parse bodies, paths and queries.
    private static readonly int[] RouteWeights = [1, 1, 2, 12, 8, 6, 4, 3, 4, 4, 9, 5, 10, 6, 6, 1, 1, 1, 1, 1, 1];

    private readonly Random _random = new(seed);
    private readonly string[] _fuzzTopics = Enumerable.Range(0, 8).Select(i => $"fz-{seed}-{i}").ToArray();

    private sealed class Draft
    {
        public required string Method;
        public required Route Route;
        public string Path = "";
        public List<KeyValuePair<string, string>> Query = [];
        public string? RawQuery;
        public List<KeyValuePair<string, byte[]>> Headers = [];
        public byte[]? Body;
        public string? Authorization;
        public bool AuthorizationIsParticipant;
        public bool AuthorizationValid;
        public bool Chunked;
        public bool OmitHost;
        public bool OwnFraming;
        public bool ProtocolLevel;
        public List<string> Kinds = [];
        public List<string> Notes = [];
    }

    public RawRequest Next()
    {
        var route = Routes[WeightedIndex(RouteWeights)];
        var draft = new Draft { Method = route.Method, Route = route };
        draft.Path = FillTemplate(route.Template);
        if (route.Auth != Auth.None)
        {
            SetValidAuthorization(draft, read: route.Auth == Auth.Read);
        }
        if (route.HasBody)
        {
            draft.Body = Encoding.UTF8.GetBytes(ValidBody(route.Template));
            draft.Headers.Add(new("Content-Type", "application/json"u8.ToArray()));
        }

        var mutations = 1 + _random.Next(3);
        for (var i = 0; i < mutations; i++)
        {
            var roll = _random.Next(100);
            if (roll < 30) MutateBody(draft);
            else if (roll < 44) MutatePath(draft);
            else if (roll < 60) MutateQuery(draft);
            else if (roll < 72) MutateHeaders(draft);
            else if (roll < 85) MutateAuthorization(draft);
            else if (roll < 92) MutateMethod(draft);
            else if (roll < 97) MutateProtocol(draft);
            else MutateSpecial(draft);
        }
        return Build(draft);
    }

    // ---------------------------------------------------------------- building blocks

    private string FillTemplate(string template) => template
        .Replace("{topic}", Uri.EscapeDataString(Pick(_fuzzTopics.Append(inputs.KnownTopic).Append("a/b").Append("%25 x").ToArray())))
        .Replace("{peer}", Pick([inputs.Owner.Id, inputs.FuzzPeers[0].Id, RandomHex(32), "not-a-peer"]))
        .Replace("{offer}", Pick(inputs.KnownOfferIds.Append(RandomHex(32)).ToArray()));

    private void SetValidAuthorization(Draft draft, bool read)
    {
        if (read && _random.Next(2) == 0)
        {
            var peer = Pick(inputs.Participants.Append(inputs.Owner).ToArray());
            draft.Authorization = peer.Header;
            draft.AuthorizationIsParticipant = true;
        }
        else
        {
            draft.Authorization = Pick(inputs.FuzzPeers).Header;
            draft.AuthorizationIsParticipant = false;
        }
        draft.AuthorizationValid = true;
    }

    private string ValidBody(string template) => template switch
    {
        "/offers" => JsonSerializer.Serialize(new { offers = new[] { new { sdp = "v=0 fuzz", topics = new[] { Pick(_fuzzTopics) }, ttl = 60_000 } } }),
        "/offers/{offer}/answer" => """{"sdp":"v=0 fuzz answer"}""",
        "/offers/{offer}/ice-candidates" => """{"candidates":[{"candidate":"candidate:1 1 udp 1 192.0.2.9 9 typ host","sdpMid":"0","sdpMLineIndex":0}]}""",
        _ => "{}",
    };

    private void Note(Draft draft, string kind, string note)
    {
        draft.Kinds.Add(kind);
        draft.Notes.Add(note);
    }

    // ---------------------------------------------------------------- body

    private void MutateBody(Draft draft)
    {
        if (draft.Body is null && _random.Next(3) != 0)
        {
            // A body where none is expected (GET, DELETE, PUT heartbeat): it must be ignored or refused cleanly.
            draft.Body = Encoding.UTF8.GetBytes(RandomJson(3));
            Note(draft, "body", "unexpected body");
            return;
        }
        var template = draft.Route.HasBody ? draft.Route.Template : Pick(["/offers", "/offers/{offer}/answer", "/offers/{offer}/ice-candidates"]);
        switch (_random.Next(10))
        {
            case 0:
            case 1:
            case 2:
                draft.Body = Encoding.UTF8.GetBytes(ShapedBody(template));
                Note(draft, "body-shape", "wrong shapes and types");
                break;
            case 3:
                draft.Body = Encoding.UTF8.GetBytes(RandomJson(4));
                Note(draft, "body-random", "random JSON value");
                break;
            case 4:
            {
                var body = draft.Body ?? Encoding.UTF8.GetBytes(ShapedBody(template));
                draft.Body = body[..(body.Length == 0 ? 0 : _random.Next(body.Length))];
                Note(draft, "body-truncated", "truncated JSON");
                break;
            }
            case 5:
                draft.Body = InvalidUtf8(draft.Body ?? Encoding.UTF8.GetBytes(ShapedBody(template)));
                Note(draft, "body-utf8", "invalid UTF-8 bytes");
                break;
            case 6:
                draft.Body = Encoding.UTF8.GetBytes(TextMutation(Encoding.UTF8.GetString(draft.Body ?? Encoding.UTF8.GetBytes(ShapedBody(template)))));
                Note(draft, "body-text", "syntax mutation");
                break;
            case 7:
                draft.Body = Encoding.UTF8.GetBytes(DeepBody(template));
                Note(draft, "body-deep", "deep nesting");
                break;
            case 8:
                draft.Body = Encoding.UTF8.GetBytes(HugeBody(template));
                Note(draft, "body-huge", "huge values");
                break;
            default:
                draft.Body = Pick(OddBodies);
                Note(draft, "body-odd", "odd body");
                break;
        }
    }

    private static readonly byte[][] OddBodies =
    [
        [],
        " "u8.ToArray(),
        "\r\n\t "u8.ToArray(),
        "null"u8.ToArray(),
        "[]"u8.ToArray(),
        "\"offers\""u8.ToArray(),
        "0"u8.ToArray(),
        "{}"u8.ToArray(),
        "{"u8.ToArray(),
        "}"u8.ToArray(),
        "{}{}"u8.ToArray(),
        "{} trailing"u8.ToArray(),
        [0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}'],
        [0xFE, 0xFF, 0, (byte)'{', 0, (byte)'}'],
        [0xFF, 0xFE, (byte)'{', 0, (byte)'}', 0],
        [0, 0, 0, 0],
        "{/* comment */}"u8.ToArray(),
        "{'offers': []}"u8.ToArray(),
        "{offers: []}"u8.ToArray(),
        "{\"offers\": [,]}"u8.ToArray(),
        "{\"offers\": [{},]}"u8.ToArray(),
        "{\"sdp\": NaN}"u8.ToArray(),
        "{\"sdp\": Infinity, \"candidates\": [-Infinity]}"u8.ToArray(),
        "{\"sdp\": \"a\" \"b\"}"u8.ToArray(),
        "{\"\\u0000\": \"\\u0000\"}"u8.ToArray(),
        "{\"sdp\": \"\\ud800\"}"u8.ToArray(),
        "{\"sdp\": \"\\udc00\\ud800\", \"secret\": \"\\ud83d\"}"u8.ToArray(),
        "{\"offers\":[{\"sdp\":\"v\",\"topics\":[\"\\ud800\"]}]}"u8.ToArray(),
        "{\"offers\":[{\"sdp\":\"\\ud800\",\"topics\":[\"t\"]}]}"u8.ToArray(),
        "{\"offers\":[{\"sdp\":\"v\",\"topics\":[\"t\"],\"secret\":\"\\udfff\"}]}"u8.ToArray(),
        "{\"offers\":[{\"sdp\":\"v\",\"topics\":[\"t\"],\"info\":\"\\ud800x\"}]}"u8.ToArray(),
        "{\"candidates\":[\"\\ud800\"]}"u8.ToArray(),
        "{\"sdp\": \"\\x41\"}"u8.ToArray(),
        "{\"sdp\": \"\\u12\"}"u8.ToArray(),
        "{\"sdp\": \"tab\there\"}"u8.ToArray(),
        "{\"sdp\": \"a\u0001b\"}"u8.ToArray(),
        "{\"offers\":[{\"sdp\":\"v\",\"topics\":[\"t\"],\"ttl\":1e400}]}"u8.ToArray(),
        "{\"offers\":[{\"sdp\":\"v\",\"topics\":[\"t\"],\"ttl\":-1e400}]}"u8.ToArray(),
        "{\"offers\":[{\"sdp\":\"v\",\"topics\":[\"t\"],\"ttl\":1e-400}]}"u8.ToArray(),
        "{\"offers\":[{\"sdp\":\"v\",\"topics\":[\"t\"],\"ttl\":-0}]}"u8.ToArray(),
        "{\"offers\":[{\"sdp\":\"v\",\"topics\":[\"t\"],\"ttl\":123456789012345678901234567890}]}"u8.ToArray(),
        "{\"offers\":[{\"sdp\":\"v\",\"topics\":[\"t\"],\"ttl\":-123456789012345678901234567890}]}"u8.ToArray(),
        "{\"offers\":[{\"sdp\":\"v\",\"topics\":[\"t\"],\"ttl\":0.0000001}]}"u8.ToArray(),
        "{\"offers\":[{\"sdp\":\"v\",\"topics\":[\"t\"],\"ttl\":01}]}"u8.ToArray(),
        "{\"offers\":[{\"sdp\":\"v\",\"topics\":[\"t\"],\"ttl\":1.}]}"u8.ToArray(),
        "{\"offers\":[{\"sdp\":\"v\",\"topics\":[\"t\"],\"ttl\":\"60000\"}]}"u8.ToArray(),
        "{\"offers\":[{\"sdp\":\"v\",\"sdp\":\"w\",\"topics\":[\"t\"],\"topics\":5}]}"u8.ToArray(),
        "{\"offers\":{\"0\":{\"sdp\":\"v\",\"topics\":[\"t\"]}}}"u8.ToArray(),
        "{\"candidates\":{\"length\":1,\"0\":1}}"u8.ToArray(),
        "{\"candidates\":[1e400, -1e400, 1.0, 1e-400, 123456789012345678901234567890]}"u8.ToArray(),
        "{\"candidates\":[null, true, false, \"\", [], {}]}"u8.ToArray(),
        "{\"sdp\": {\"$ne\": null}}"u8.ToArray(),
        "{\"__proto__\": {\"admin\": true}, \"constructor\": {\"prototype\": {}}}"u8.ToArray(),
    ];

    /// <summary>The route's fields, each kept, dropped, or given a value of the wrong type or size.</summary>
    private string ShapedBody(string template)
    {
        var fields = new List<string>();
        void Field(string name, Func<string> valid)
        {
            var roll = _random.Next(10);
            if (roll == 0) return;                                   // missing
            var value = roll < 6 ? valid() : RandomJson(2);          // right or wrong type
            fields.Add($"{JsonSerializer.Serialize(name)}:{value}");
        }
        switch (template)
        {
            case "/offers":
                Field("offers", () =>
                {
                    var count = _random.Next(5) == 0 ? 0 : 1 + _random.Next(3);
                    return "[" + string.Join(",", Enumerable.Range(0, count).Select(_ => _random.Next(8) == 0 ? RandomJson(2) : ShapedOffer())) + "]";
                });
                break;
            case "/offers/{offer}/answer":
                Field("sdp", () => JsonSerializer.Serialize("v=0 " + RandomText(10)));
                Field("secret", () => JsonSerializer.Serialize(RandomText(12)));
                break;
            default:
                Field("candidates", () => "[" + string.Join(",", Enumerable.Range(0, 1 + _random.Next(4)).Select(_ => RandomJson(3))) + "]");
                break;
        }
        if (_random.Next(4) == 0) fields.Add($"{JsonSerializer.Serialize(RandomText(5))}:{RandomJson(2)}");
        if (_random.Next(6) == 0 && fields.Count > 0) fields.Add(fields[0]); // duplicate key
        Shuffle(fields);
        return "{" + string.Join(",", fields) + "}";
    }

    private string ShapedOffer()
    {
        var fields = new List<string>();
        void Field(string name, Func<string> valid)
        {
            var roll = _random.Next(10);
            if (roll == 0) return;
            fields.Add($"{JsonSerializer.Serialize(name)}:{(roll < 7 ? valid() : RandomJson(2))}");
        }
        Field("sdp", () => JsonSerializer.Serialize("v=0 " + RandomText(8)));
        Field("topics", () => "[" + string.Join(",", Enumerable.Range(0, _random.Next(4)).Select(_ =>
            _random.Next(6) == 0 ? RandomJson(1) : JsonSerializer.Serialize(_random.Next(8) == 0 ? new string('t', 257) : Pick(_fuzzTopics)))) + "]");
        if (_random.Next(2) == 0) Field("ttl", () => Pick(OddNumbers));
        if (_random.Next(3) == 0) Field("secret", () => JsonSerializer.Serialize(_random.Next(5) == 0 ? new string('s', 129) : RandomText(10)));
        if (_random.Next(3) == 0) Field("info", () => JsonSerializer.Serialize(_random.Next(5) == 0 ? new string('i', 129) : RandomText(10)));
        if (_random.Next(5) == 0) Field("id", () => JsonSerializer.Serialize(Pick(inputs.KnownOfferIds)));
        Shuffle(fields);
        return "{" + string.Join(",", fields) + "}";
    }

    private static readonly string[] OddNumbers =
    [
        "0", "-0", "1", "-1", "60000", "59999", "1.5", "1e3", "1E+300", "1e400", "-1e400", "1e-400", "9007199254740993",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "123456789012345678901234567890",
        "0.1", "-0.0", "3600000.999", "86400001", "1e-7",
    ];

    private static readonly string[] OddStrings =
    [
        "", " ", "a", "v=0", "null", "undefined", "0", "\u0000", "\u0001\u001f", "\u007f", "é", "日本語", "🦄", "\u200b\u200e\u202e",
        "\ufeff", "\ufffd", "%00", "%FF", "../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --", "${jndi:ldap://x}",
        "\\", "\"", "a\nb", "\r\n\r\n", "{{7*7}}", "%s%n%x", "\uffff",
    ];

    /// <summary>A random JSON value, including odd numbers, odd strings and (rarely) big ones.</summary>
    private string RandomJson(int depth)
    {
        var roll = _random.Next(depth <= 0 ? 6 : 9);
        switch (roll)
        {
            case 0: return "null";
            case 1: return _random.Next(2) == 0 ? "true" : "false";
            case 2:
            case 3: return Pick(OddNumbers);
            case 4:
            case 5:
                return _random.Next(30) == 0
                    ? JsonSerializer.Serialize(new string('x', Pick([257, 4097, 65_537, 200_000])))
                    : JsonSerializer.Serialize(Pick(OddStrings));
            case 6:
            case 7:
                return "[" + string.Join(",", Enumerable.Range(0, _random.Next(4)).Select(_ => RandomJson(depth - 1))) + "]";
            default:
                return "{" + string.Join(",", Enumerable.Range(0, _random.Next(4))
                    .Select(_ => $"{JsonSerializer.Serialize(Pick(OddStrings))}:{RandomJson(depth - 1)}")) + "}";
        }
    }

    private string DeepBody(string template)
    {
        var depth = Pick([11, 64, 65, 200, 1000, 5000]);
        var nested = _random.Next(2) == 0
            ? new string('[', depth) + "1" + new string(']', depth)
            : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
        return _random.Next(4) switch
        {
            0 => nested,
            1 => template == "/offers"
                ? $"{{\"offers\":[{{\"sdp\":\"v\",\"topics\":[\"{Pick(_fuzzTopics)}\"],\"info\":{nested}}}]}}"
                : $"{{\"sdp\":{nested}}}",
            _ => $"{{\"candidates\":[{nested}]}}",
        };
    }

    private string HugeBody(string template)
    {
        switch (_random.Next(6))
        {
            case 0:
                return $"{{\"offers\":[{{\"sdp\":\"{new string('s', Pick([65_536, 65_537, 1_000_000]))}\",\"topics\":[\"{Pick(_fuzzTopics)}\"]}}]}}";
            case 1:
                return $"{{\"offers\":[{{\"sdp\":\"v\",\"topics\":[{string.Join(",", Enumerable.Range(0, Pick([51, 5000])).Select(i => $"\"t{i}\""))}]}}]}}";
            case 2:
                return "{\"offers\":[" + string.Join(",", Enumerable.Range(0, Pick([101, 2000])).Select(_ => "{\"sdp\":\"v\",\"topics\":[\"x\"]}")) + "]}";
            case 3:
                return "{\"candidates\":[" + string.Join(",", Enumerable.Range(0, Pick([101, 20_000])).Select(i => i.ToString())) + "]}";
            case 4:
                return $"{{\"candidates\":[\"{new string('c', 5000)}\"]}}";
            default:
                return template == "/offers/{offer}/answer"
                    ? $"{{\"sdp\":\"{new string('a', 70_000)}\",\"secret\":\"{new string('s', 10_000)}\"}}"
                    : $"{{\"{new string('k', 100_000)}\":1}}";
        }
    }

    private byte[] InvalidUtf8(byte[] body)
    {
        byte[][] bad = [[0xFF], [0xFE], [0xC0, 0x80], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xF8, 0x88, 0x80, 0x80, 0x80]];
        var text = body.ToList();
        // Inside a string when there is one (the interesting case: the JSON is otherwise valid), else anywhere.
        var quote = text.IndexOf((byte)'"', Math.Min(text.Count, 1 + _random.Next(Math.Max(1, text.Count))));
        var at = quote >= 0 && quote + 1 < text.Count && _random.Next(4) != 0 ? quote + 1 : _random.Next(text.Count + 1);
        text.InsertRange(at, Pick(bad));
        return text.ToArray();
    }

    private string TextMutation(string json)
    {
        if (json.Length == 0) return "{";
        var at = _random.Next(json.Length);
        return _random.Next(8) switch
        {
            0 => json.Remove(at, 1),
            1 => json.Insert(at, Pick(["{", "}", "[", "]", ",", ":", "\"", "\\", "'", " ", "\0", "/*", "//"])),
            2 => json.Replace('"', '\''),
            3 => json + Pick([",", "}", "]", "garbage", "{}", "\0"]),
            4 => "[" + json + "]",
            5 => json.Replace(":", ": ,"),
            6 => json.Replace("}", ",}"),
            _ => json.Replace("\"", "\\\""),
        };
    }

    // ---------------------------------------------------------------- path

    private static readonly string[] OddSegments =
    [
        "", "%00", "a%00b", "%FF", "%C0%80", "%ED%A0%80", "%E0%A4%A", "%", "%%", "%zz", "%u0041", "%2F", "%2f%2e%2e", "%2e%2e", "..",
        ".", "%20", "+", "null", "undefined", "-1", "0", "1e9", "%7B%7D", "%3Cscript%3E", "'%20OR%201=1", "%F0%9F%98%80", "%C3%28",
        "%EF%BB%BF", "%0D%0AX-Injected:%201", "*", "~", "a;b=c", "%3B", "%3F", "%23",
    ];

    private void MutatePath(Draft draft)
    {
        var hasParam = draft.Route.Template.Contains('{');
        switch (_random.Next(hasParam ? 7 : 4))
        {
            case 0:
                draft.Path = Pick([
                    "//" + draft.Path.TrimStart('/'), draft.Path + "/", draft.Path + "//", "/./" + draft.Path.TrimStart('/'),
                    "/x/.." + draft.Path, "/offers/../.." + draft.Path, draft.Path.ToUpperInvariant(), draft.Path.Replace("/", "//"),
                    draft.Path + "/%2e%2e/", draft.Path + "%00", draft.Path + "%FF", draft.Path + "/extra/segments/here",
                    draft.Path.Replace("/", "%2F"), draft.Path.Replace("o", "%6F"), draft.Path + ";jsessionid=1", draft.Path + "#frag",
                ]);
                Note(draft, "path-shape", "path shape");
                break;
            case 1:
                draft.Path = "/" + string.Join("/", Enumerable.Range(0, 1 + _random.Next(4)).Select(_ => Pick(OddSegments)));
                Note(draft, "path-random", "random path");
                break;
            case 2:
            {
                var length = Pick([300, 2000, 7000, 9000, 20_000]);
                draft.Path = draft.Path.TrimEnd('/') + "/" + new string('a', length);
                draft.ProtocolLevel |= length > 7000; // past Kestrel's request line limit: its own 414
                Note(draft, "path-long", $"segment of {length}");
                break;
            }
            case 3:
                // Raw bytes no client should send: non-ASCII UTF-8, invalid UTF-8, controls.
                draft.Path = draft.Path + Pick(["/ü", "/日本", "/\u00ff", "/\u0001", "/ a b", "/\t", "/\\", "/\"<>", "/{}|^`"]);
                draft.ProtocolLevel = true;
                Note(draft, "path-raw", "raw bytes in path");
                break;
            default:
            {
                var value = _random.Next(5) switch
                {
                    0 => Pick(inputs.KnownOfferIds).ToUpperInvariant(),
                    1 => Pick(inputs.KnownOfferIds) + Pick(["0", "%00", "%20", "/", "..", "x"]),
                    2 => Pick(inputs.KnownOfferIds)[..Pick([0, 1, 16, 31])],
                    3 => Uri.EscapeDataString(new string('t', Pick([256, 257, 1000]))),
                    _ => Pick(OddSegments),
                };
                draft.Path = FillWith(draft.Route.Template, value);
                Note(draft, "path-param", "odd parameter");
                break;
            }
        }
    }

    private string FillWith(string template, string value) =>
        template.Replace("{topic}", value).Replace("{peer}", value).Replace("{offer}", value);

    // ---------------------------------------------------------------- query

    private static readonly string[] OddQueryValues =
    [
        "", "-1", "0", "1", "2", "200", "201", "99999999999999999999999", "-99999999999999999999", "NaN", "Infinity", "-Infinity",
        "1e3", "1.5", "%201", "1%20", "%2B1", "+1", "0x10", "%D9%A1%D9%A2", "%00", "%FF", "null", "[]", "{}", "true",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "2147483647", "2147483648",
        "%27", "%22", "00000000000000000000000000001", "1,2", "a", "%E2%80%8B1",
    ];

    private void MutateQuery(Draft draft)
    {
        var keys = draft.Route.QueryKeys.Length > 0 ? draft.Route.QueryKeys : ["limit", "since", "wait", "x"];
        switch (_random.Next(6))
        {
            case 0:
                draft.RawQuery = Pick(["", "&&&", "=", "==", "?", "limit", "limit=", "=1", "limit=1=2", "%00=1", "a[]=1&a[]=2",
                    "limit&limit&limit", "%FF%FE=%FF", "since=1;wait=1", "wait=%", "since=%%", new string('&', 3000)]);
                Note(draft, "query-raw", "raw query");
                break;
            case 1:
                var key = Pick(keys);
                draft.Query.Add(new(key, Pick(OddQueryValues)));
                draft.Query.Add(new(key, Pick(OddQueryValues)));
                Note(draft, "query-repeated", "repeated key");
                break;
            case 2:
                draft.Query.Add(new("bloom", Bloom()));
                Note(draft, "query-bloom", "bloom garbage");
                break;
            case 3:
                draft.Query.Add(new(Pick(keys), new string('9', Pick([30, 1000, 5000]))));
                Note(draft, "query-huge", "huge number");
                break;
            default:
                foreach (var k in keys.Where(_ => _random.Next(2) == 0).DefaultIfEmpty(keys[0]))
                {
                    draft.Query.Add(new(k, k == "startsWith" && _random.Next(2) == 0 ? Pick(["%25", "_", "%2F", "t%00", "%FF", "%F0%9F%A6%84"]) : Pick(OddQueryValues)));
                }
                Note(draft, "query-values", "odd values");
                break;
        }
    }

    private string Bloom()
    {
        switch (_random.Next(8))
        {
            case 0: return Pick(["", "=", "====", "A", "AB=", "AB==", "!!!", "%2B%2F", "+/+/", "AAAA%20AAAA", "AA%3D%3D", "%00", "AAAA====", "****"]);
            case 1: return Uri.EscapeDataString(Convert.ToBase64String(RandomBytes(Pick([1, 128, 4096]))));
            case 2: return Uri.EscapeDataString(Convert.ToBase64String(new byte[4097]));
            case 3: return Convert.ToBase64String(RandomBytes(Pick([16, 128]))); // unescaped '+' and '/'
            case 4: return Convert.ToBase64String(new byte[Pick([1, 128])]).TrimEnd('=');
            case 5: return Uri.EscapeDataString(Convert.ToBase64String(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }));
            case 6: return Convert.ToBase64String(RandomBytes(64)).Replace('+', '-').Replace('/', '_'); // base64url
            default: return new string('A', 4) + "%FF" + new string('A', 4);
        }
    }

    // ---------------------------------------------------------------- headers and credentials

    private static readonly string[] OddContentTypes =
    [
        "text/plain", "application/json; charset=utf-16", "application/json; charset=latin1", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "application/json, application/json", "garbage/;;;", "", "*/*", "application/xml",
        "application/json; charset=\"", "APPLICATION/JSON", "application/jsonx", ";", "application/merge-patch+json",
    ];

    private void MutateHeaders(Draft draft)
    {
        switch (_random.Next(7))
        {
            case 0:
                draft.Headers.RemoveAll(h => h.Key == "Content-Type");
                if (_random.Next(4) != 0) draft.Headers.Add(new("Content-Type", Encoding.Latin1.GetBytes(Pick(OddContentTypes))));
                Note(draft, "header-content-type", "odd Content-Type");
                break;
            case 1:
                draft.Headers.Add(new("Content-Type", "application/json"u8.ToArray()));
                draft.Headers.Add(new("Content-Type", "text/html"u8.ToArray()));
                Note(draft, "header-duplicate", "duplicate Content-Type");
                break;
            case 2:
                foreach (var (name, value) in Enumerable.Range(0, 1 + _random.Next(3)).Select(_ => Pick(OddHeaders)))
                {
                    draft.Headers.Add(new(name, Encoding.Latin1.GetBytes(value)));
                }
                Note(draft, "header-odd", "odd headers");
                break;
            case 3:
                draft.Headers.Add(new("X-Padding", Encoding.ASCII.GetBytes(new string('p', Pick([1000, 8000, 40_000])))));
                draft.ProtocolLevel |= draft.Headers.Last().Value.Length > 30_000; // past Kestrel's header limit: 431
                Note(draft, "header-big", "big header");
                break;
            case 4:
                draft.Chunked = draft.Body is not null;
                Note(draft, "header-chunked", "chunked body");
                break;
            case 5:
                draft.Headers.Add(new("Expect", "100-continue"u8.ToArray()));
                Note(draft, "header-expect", "Expect: 100-continue");
                break;
            default:
                draft.Headers.Add(new("X-Forwarded-For", Encoding.Latin1.GetBytes(Pick(["garbage", "1.2.3.4, 5.6.7.8", "::1", "999.999.999.999", "", "unknown", "127.0.0.1"]))));
                draft.Headers.Add(new("Origin", Encoding.Latin1.GetBytes(Pick(["null", "https://evil.example", "file://", "*", "http://localhost:5173"]))));
                Note(draft, "header-forwarded", "X-Forwarded-For and Origin");
                break;
        }
    }

    private static readonly (string Name, string Value)[] OddHeaders =
    [
        ("Content-Encoding", "gzip"), ("Content-Encoding", "br, deflate"), ("Accept", "text/html"), ("Accept", "application/xml;q=0"),
        ("Accept-Encoding", "gzip, br"), ("Accept-Charset", "utf-16"), ("Cookie", "a=b; session=x"), ("Range", "bytes=0-1"),
        ("If-None-Match", "*"), ("If-Modified-Since", "garbage"), ("X-HTTP-Method-Override", "DELETE"), ("Upgrade", "websocket"),
        ("Connection", "keep-alive, Upgrade"), ("TE", "trailers"), ("Max-Forwards", "0"), ("Access-Control-Request-Method", "DELETE"),
        ("Access-Control-Request-Headers", "authorization, x-evil"), ("Forwarded", "for=1.2.3.4"), ("X-Real-IP", "1.2.3.4"),
        ("Authorization-Extra", "Bearer x:y"), ("Content-MD5", "zzz"), ("Content-Language", "\u00e9"), ("User-Agent", ""),
        ("X-Unicode", "\u00ff\u00fe"),
    ];

    private void MutateAuthorization(Draft draft)
    {
        var owner = inputs.Owner;
        var secret = Convert.FromBase64String(owner.Secret);
        string Flip(int position)
        {
            var copy = (byte[])secret.Clone();
            copy[Math.Min(position, copy.Length - 1)] ^= (byte)(1 << _random.Next(8));
            return Convert.ToBase64String(copy);
        }
        draft.AuthorizationValid = false;
        draft.AuthorizationIsParticipant = false;
        switch (_random.Next(4))
        {
            case 0:
                draft.Authorization = Pick([
                    null, "", "Bearer", "Bearer ", "Bearer :", "Bearer a:", "Bearer :b", "bearer " + owner.Id + ":" + owner.Secret,
                    "Basic dXNlcjpwYXNz", "Bearer " + owner.Id, "Bearer " + owner.Id + ":", "Bearer " + owner.Secret,
                    "Bearer " + owner.Id + ":" + owner.Secret + ":x", "Bearer  " + owner.Id + " : " + owner.Secret,
                    "Bearer " + owner.Id + ":" + owner.Secret + "A", "Bearer " + owner.Id + ":" + owner.Secret + "AAAA",
                    "Bearer " + owner.Id + ":" + owner.Secret[..^4], "Bearer " + owner.Id + ":" + owner.Secret[..8],
                    "Bearer " + owner.Id.ToUpperInvariant() + ":" + owner.Secret, "Bearer " + owner.Id + "x:" + owner.Secret,
                    "Bearer " + inputs.FuzzPeers[0].Id + ":" + owner.Secret, "Bearer " + owner.Id + ":" + inputs.FuzzPeers[0].Secret,
                    inputs.OtherKeyPeer.Header, "Bearer \u00e9:\u00e9", "Bearer %00:%00", "Bearer " + owner.Id + ":" + UrlSafe(owner.Secret),
                    "Bearer " + new string('a', 5000) + ":" + new string('b', 5000), "Bearer x:" + Convert.ToBase64String(new byte[28]),
                    "Bearer x:" + Convert.ToBase64String(new byte[29]), "Bearer " + owner.Id + ":" + Convert.ToBase64String(new byte[1000]),
                ]);
                Note(draft, "auth-garbage", "garbage credential");
                break;
            case 1:
                draft.Authorization = $"Bearer {owner.Id}:{Flip(_random.Next(secret.Length))}";
                Note(draft, "auth-bitflip", "bit flip");
                break;
            case 2:
                draft.Authorization = null;
                draft.Headers.Add(new("Authorization", Encoding.Latin1.GetBytes(Pick(inputs.FuzzPeers).Header)));
                draft.Headers.Add(new("Authorization", Encoding.Latin1.GetBytes(Pick([Pick(inputs.FuzzPeers).Header, "Bearer x:y", "Basic x"]))));
                Note(draft, "auth-duplicate", "two Authorization headers");
                break;
            default:
                // A fuzz peer's valid credential on any route (authorization is still checked by the route).
                draft.Authorization = Pick(inputs.FuzzPeers).Header;
                draft.AuthorizationValid = true;
                Note(draft, "auth-stranger", "valid stranger");
                break;
        }
    }

    /// <summary>The base64url spelling, which the credential format does not accept; never the secret itself.</summary>
    private static string UrlSafe(string secret)
    {
        var urlSafe = secret.Replace('+', '-').Replace('/', '_');
        return urlSafe == secret ? secret + "-" : urlSafe;
    }

    // ---------------------------------------------------------------- method and framing

    private void MutateMethod(Draft draft)
    {
        draft.Method = Pick(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO", "get", "Post", "PROPFIND", "CONNECT-X"]);
        if (draft.Method == "OPTIONS" && _random.Next(2) == 0)
        {
            draft.Headers.Add(new("Origin", "https://app.example.com"u8.ToArray()));
            draft.Headers.Add(new("Access-Control-Request-Method", Encoding.Latin1.GetBytes(Pick(["POST", "DELETE", "PATCH", "FOO"]))));
        }
        Note(draft, "method", draft.Method);
    }

    private void MutateProtocol(Draft draft)
    {
        draft.ProtocolLevel = true;
        switch (_random.Next(7))
        {
            case 0:
                draft.OwnFraming = true;
                draft.Headers.Add(new("Content-Length", "abc"u8.ToArray()));
                Note(draft, "protocol", "Content-Length: abc");
                break;
            case 1:
                draft.OwnFraming = true;
                draft.Body ??= "{}"u8.ToArray();
                draft.Headers.Add(new("Content-Length", Encoding.ASCII.GetBytes(draft.Body.Length.ToString())));
                draft.Headers.Add(new("Content-Length", Encoding.ASCII.GetBytes((draft.Body.Length + 1).ToString())));
                Note(draft, "protocol", "two different Content-Length");
                break;
            case 2:
                draft.Headers.Add(new("X-Broken\u0001", "1"u8.ToArray()));
                Note(draft, "protocol", "control character in header name");
                break;
            case 3:
                draft.Headers.Add(new("X-Value", [(byte)'a', 0x00, (byte)'b']));
                Note(draft, "protocol", "NUL in header value");
                break;
            case 4:
                draft.OmitHost = true;
                Note(draft, "protocol", "no Host");
                break;
            case 5:
                draft.Headers.Add(new("Host", "a"u8.ToArray()));
                draft.Headers.Add(new("Host", "b"u8.ToArray()));
                Note(draft, "protocol", "two Host headers");
                break;
            default:
                foreach (var i in Enumerable.Range(0, 120))
                {
                    draft.Headers.Add(new($"X-H{i}", "1"u8.ToArray()));
                }
                Note(draft, "protocol", "120 headers");
                break;
        }
    }

    /// <summary>Requests a generator would rarely reach by chance: over MAX_BODY_SIZE (10 MB), chunked and deep, NUL in the path.</summary>
    private void MutateSpecial(Draft draft)
    {
        switch (_random.Next(4))
        {
            case 0:
                draft.Body = Encoding.UTF8.GetBytes($"{{\"offers\":[{{\"sdp\":\"{new string('x', 10 * 1024 * 1024 + 10)}\",\"topics\":[\"t\"]}}]}}");
                draft.Chunked = _random.Next(2) == 0;
                Note(draft, "special-oversize", draft.Chunked ? "11 MB chunked" : "11 MB");
                break;
            case 1:
                draft.Body = Encoding.UTF8.GetBytes("{\"candidates\":[" + new string('[', 1000) + new string(']', 1000) + "]}");
                draft.Chunked = true;
                Note(draft, "special-deep-chunked", "depth 1000, chunked");
                break;
            case 2:
                draft.Path = "/offers/" + Pick(inputs.KnownOfferIds) + "%00/ice-candidates";
                Note(draft, "special-nul", "%00 inside an offer id");
                break;
            default:
                draft.Body = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":[", 1000)) + string.Concat(Enumerable.Repeat("]}", 1000)));
                Note(draft, "special-deep-mixed", "depth 2000 mixed");
                break;
        }
    }

    // ---------------------------------------------------------------- assembly

    private RawRequest Build(Draft draft)
    {
        var isWrite = draft.Method is not ("GET" or "HEAD" or "OPTIONS");
        var participantHeaders = inputs.Participants.Append(inputs.Owner).Select(p => p.Header).ToHashSet(StringComparer.Ordinal);
        if (isWrite && (draft.AuthorizationIsParticipant || (draft.Authorization is { } auth && participantHeaders.Contains(auth.Trim()))))
        {
            // Never a write with the known offers' participants' credentials: their state must not change.
            draft.Authorization = Pick(inputs.FuzzPeers).Header;
            draft.AuthorizationIsParticipant = false;
        }

        var query = draft.RawQuery ?? string.Join("&", draft.Query.Select(q => q.Key + "=" + SafeWait(q.Key, q.Value, draft)));
        var target = draft.Path + (query.Length > 0 || draft.RawQuery is not null ? "?" + query : "");
        // Kestrel refuses header values outside visible ASCII before the application sees them.
        var oddHeaderBytes = draft.Headers.Any(h => h.Value.Any(b => b is > 0x7e or (< 0x20 and not 0x09)))
            || (draft.Authorization?.Any(c => c is > '\u007e' or < ' ') ?? false);
        var request = new RawRequest
        {
            Method = draft.Method,
            Target = Encoding.UTF8.GetBytes(target),
            Body = draft.Body,
            Chunked = draft.Chunked && draft.Body is not null,
            OmitHost = draft.OmitHost,
            OwnFraming = draft.OwnFraming,
            // Kestrel also refuses, bodiless, a target that does not start with '/' and a path with %00 in it.
            ProtocolLevel = draft.ProtocolLevel || target.Length > 7500 || oddHeaderBytes || !target.StartsWith('/')
                || draft.Path.Contains("%00", StringComparison.Ordinal),
            Kind = draft.Kinds.Count == 0 ? "valid" : string.Join("+", draft.Kinds.Distinct()),
            Description = string.Join("; ", draft.Notes),
        };
        if (draft.Authorization is not null)
        {
            request.Header("Authorization", Encoding.UTF8.GetBytes(draft.Authorization));
        }
        foreach (var (name, value) in draft.Headers)
        {
            request.Header(name, value);
        }
        return request;
    }

    /// <summary>A wait that would hold a request longer than 2 s goes only with a credential that fails first.</summary>
    private static string SafeWait(string key, string value, Draft draft)
    {
        if (key != "wait" || !draft.AuthorizationValid) return value;
        var decoded = Uri.UnescapeDataString(value).Trim();
        var digits = decoded.Length > 0 && decoded.All(char.IsAsciiDigit) && decoded.TrimStart('0').Length > 0;
        return digits && (decoded.TrimStart('0').Length > 1 || decoded.TrimStart('0')[0] > '2') ? "2" : value;
    }

    // ---------------------------------------------------------------- randomness

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];

    private int WeightedIndex(int[] weights)
    {
        var roll = _random.Next(weights.Sum());
        for (var i = 0; i < weights.Length; i++)
        {
            roll -= weights[i];
            if (roll < 0) return i;
        }
        return weights.Length - 1;
    }

    private void Shuffle<T>(List<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private string RandomText(int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 -_=:/é日🦄";
        var text = new StringBuilder();
        for (var i = 0; i < length; i++) text.Append(alphabet[_random.Next(alphabet.Length)]);
        return text.ToString();
    }

    private string RandomHex(int length) => string.Concat(Enumerable.Range(0, length).Select(_ => "0123456789abcdef"[_random.Next(16)]));

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }
}
