using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Rondevu.Bench;

public readonly record struct Response(int Status, byte[] Body, double StartS, double EndS, string? Error)
{
    public bool Ok => Status is >= 200 and <= 299;
    public double Ms => (EndS - StartS) * 1000;
    public JsonDocument Json() => JsonDocument.Parse(Body);
}

public sealed record Peer(string Id, string Secret, string BaseUrl)
{
    public string Bearer { get; } = $"Bearer {Id}:{Secret}";
}

/// <summary>One pooled HttpClient for every virtual peer; each call is timed and recorded under its route name.</summary>
public sealed class Api : IDisposable
{
    private readonly HttpClient _http;
    private readonly Recorder _recorder;

    public Api(Recorder recorder)
    {
        _recorder = recorder;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(90) };
        _http.DefaultRequestHeaders.ExpectContinue = false;
    }

    public Recorder Recorder => _recorder;

    public async Task<Response> SendAsync(string route, HttpMethod method, string url, string? bearer = null, byte[]? body = null)
    {
        using var request = new HttpRequestMessage(method, url) { Version = HttpVersion.Version11 };
        if (bearer is not null) request.Headers.TryAddWithoutValidation("Authorization", bearer);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        }
        double start = _recorder.NowS;
        Response result;
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            result = new Response((int)response.StatusCode, bytes, start, _recorder.NowS, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            result = new Response(0, [], start, _recorder.NowS, e.Message);
        }
        if (_recorder.InWindow(result.EndS)) _recorder.Route(route).Record(result.Ms, result.Error is null ? result.Status : null);
        return result;
    }

    public Task<Response> GetAsync(string route, string url) => SendAsync(route, HttpMethod.Get, url);

    /// <summary>POSTs until a 2xx or the last of <paramref name="attempts"/>, waiting a little longer after each failure.</summary>
    public async Task<Response> PostAsync(string route, string url, byte[] body, string? bearer, int attempts = 1, int backoffMs = 0)
    {
        for (int attempt = 1; ; attempt++)
        {
            var r = await SendAsync(route, HttpMethod.Post, url, bearer, body);
            if (r.Ok || attempt >= attempts) return r;
            await Task.Delay(backoffMs * attempt);
        }
    }

    /// <summary>Registers <paramref name="count"/> peers, <paramref name="concurrency"/> at a time; peer i talks to urlFor(i).</summary>
    public async Task<Peer[]> RegisterPoolAsync(int count, Func<int, string> urlFor, int concurrency = 16)
    {
        var peers = new Peer[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, _) =>
        {
            var baseUrl = urlFor(i);
            var r = await PostAsync("POST /register", baseUrl + "/register", "{}"u8.ToArray(), null, attempts: 5, backoffMs: 200);
            if (!r.Ok) throw new InvalidOperationException($"POST {baseUrl}/register failed: {r.Status} {r.Error} {Encoding.UTF8.GetString(r.Body)}");
            using var doc = r.Json();
            peers[i] = new Peer(doc.RootElement.GetProperty("peerId").GetString()!, doc.RootElement.GetProperty("secret").GetString()!, baseUrl);
        });
        return peers;
    }

    public void Dispose() => _http.Dispose();
}

public static class Payloads
{
    public static string RandomHex(int bytes = 16) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));

    public static string Topic(string topic) => Uri.EscapeDataString(topic);

    /// <summary>A plausible SDP of about <paramref name="size"/> characters (ASCII).</summary>
    public static string Sdp(int size, string kind)
    {
        var sb = new StringBuilder(size + 128);
        sb.Append("v=0\r\no=- ").Append(Random.Shared.NextInt64(1_000_000_000_000, 9_000_000_000_000)).Append(" 2 IN IP4 127.0.0.1\r\n");
        sb.Append("s=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n");
        sb.Append("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n");
        sb.Append("a=ice-ufrag:").Append(RandomHex(2)).Append("\r\na=ice-pwd:").Append(RandomHex(12)).Append("\r\na=ice-options:trickle\r\n");
        sb.Append("a=fingerprint:sha-256 ");
        var fp = RandomNumberGenerator.GetBytes(32);
        sb.AppendJoin(':', fp.Select(b => b.ToString("X2")));
        sb.Append("\r\na=setup:").Append(kind == "answer" ? "active" : "actpass").Append("\r\na=mid:0\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n");
        int n = 0;
        while (sb.Length < size)
        {
            sb.Append("a=candidate-hint:").Append(n++).Append(' ').Append(RandomHex(8)).Append("\r\n");
        }
        if (sb.Length > size) sb.Length = size;
        return sb.ToString();
    }

    public static byte[] CreateOffers(IEnumerable<(string Sdp, string[] Topics)> offers, long ttl) =>
        JsonSerializer.SerializeToUtf8Bytes(new { offers = offers.Select(o => new { sdp = o.Sdp, topics = o.Topics, ttl }) });

    public static byte[] Answer(string sdp) => JsonSerializer.SerializeToUtf8Bytes(new { sdp });

    /// <summary>One candidate per request, the shape the 0.7 client sends.</summary>
    public static byte[] IceCandidate(int n, string ufrag)
    {
        var candidate = $"candidate:{842163049 + n} 1 udp {1677729535 - n} 192.0.2.{10 + n} {50000 + n} typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag {ufrag} network-cost 999";
        return JsonSerializer.SerializeToUtf8Bytes(new { candidates = new[] { new { candidate, sdpMid = "0", sdpMLineIndex = 0, usernameFragment = ufrag } } });
    }
}
