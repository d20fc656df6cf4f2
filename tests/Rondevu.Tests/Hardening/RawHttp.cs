using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Rondevu.Tests.Hardening;

/// <summary>One HTTP/1.1 request written byte for byte: paths, headers and bodies no HttpClient would send
/// (raw %00, "../", duplicate headers, invalid UTF-8, conflicting framing).</summary>
public sealed class RawRequest
{
    public required string Method { get; init; }
    /// <summary>The request target exactly as written on the request line.</summary>
    public required byte[] Target { get; init; }
    public List<KeyValuePair<string, byte[]>> Headers { get; } = [];
    public byte[]? Body { get; init; }
    /// <summary>Send the body with chunked transfer coding instead of Content-Length.</summary>
    public bool Chunked { get; init; }
    /// <summary>Write no Host header (invalid HTTP/1.1).</summary>
    public bool OmitHost { get; init; }
    /// <summary>Write no framing header of our own: one is among <see cref="Headers"/>, on purpose.</summary>
    public bool OwnFraming { get; init; }
    /// <summary>Not valid HTTP/1.1: Kestrel itself may answer with a bodiless 4xx the application never sees.</summary>
    public bool ProtocolLevel { get; init; }
    /// <summary>What the generator did, for the report of a failure.</summary>
    public required string Description { get; init; }
    public required string Kind { get; init; }

    public RawRequest Header(string name, string value) => Header(name, Encoding.Latin1.GetBytes(value));

    public RawRequest Header(string name, byte[] value)
    {
        Headers.Add(new(name, value));
        return this;
    }

    public string TargetText => Encoding.Latin1.GetString(Target);

    /// <summary>A body past the gateway's default MAX_BODY_SIZE (10 MiB): Kestrel may cut the connection
    /// once it has answered, even mid-response when the route never read the body.</summary>
    public bool Oversize => Body?.Length > 10 * 1024 * 1024;

    public override string ToString()
    {
        var body = Body is null ? "" : Body.Length > 300 ? $" body[{Body.Length}]={Printable(Body.AsSpan(0, 300))}…" : $" body={Printable(Body)}";
        var headers = string.Concat(Headers.Select(h => $" [{h.Key}: {Printable(h.Value.Length > 120 ? h.Value.AsSpan(0, 120) : h.Value)}]"));
        var target = TargetText.Length > 300 ? TargetText[..300] + "…" : TargetText;
        return $"{Kind} ({Description}): {Method} {target}{headers}{body}";
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes)
        {
            text.Append(b is >= 0x20 and < 0x7f ? (char)b : $"\\x{b:x2}");
        }
        return text.ToString();
    }
}

public sealed record RawResponse(int Status, Dictionary<string, string> Headers, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);
    public string? ContentType => Headers.GetValueOrDefault("content-type");
}

public static class RawHttp
{
    /// <summary>Sends on a fresh connection (<c>Connection: close</c>) and reads the response until the server closes.</summary>
    /// <exception cref="TimeoutException">No complete response within <paramref name="timeout"/>.</exception>
    /// <exception cref="IOException">The connection ended without a parseable response.</exception>
    public static async Task<RawResponse> SendAsync(int port, RawRequest request, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var received = new MemoryStream();
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
            var bytes = Serialize(port, request);
            // The server may answer (401, 413, …) and close before it has read the whole body: send and
            // receive at once, and ignore a failed send when a response arrived.
            var sending = SendAllAsync(socket, bytes, cts.Token);
            var buffer = new byte[16 * 1024];
            while (true)
            {
                int read;
                try
                {
                    read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                }
                catch (SocketException) when (received.Length > 0)
                {
                    break; // reset after the response: the server closed with unread body bytes
                }
                if (read == 0) break;
                received.Write(buffer, 0, read);
            }
            await sending;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no response within {timeout.TotalSeconds} s (received {received.Length} bytes)");
        }
        catch (SocketException error)
        {
            throw new IOException($"connection failed: {error.SocketErrorCode} (received {received.Length} bytes)", error);
        }
        return Parse(received.ToArray(), request.Method);
    }

    private static async Task SendAllAsync(Socket socket, byte[] bytes, CancellationToken cancellationToken)
    {
        try
        {
            await socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public static byte[] Serialize(int port, RawRequest request)
    {
        var head = new MemoryStream();
        void Write(string text) => head.Write(Encoding.Latin1.GetBytes(text));
        Write(request.Method + " ");
        head.Write(request.Target);
        Write(" HTTP/1.1\r\n");
        if (!request.OmitHost && !request.Headers.Any(h => h.Key.Equals("Host", StringComparison.OrdinalIgnoreCase)))
        {
            Write($"Host: 127.0.0.1:{port}\r\n");
        }
        foreach (var (name, value) in request.Headers)
        {
            Write(name + ": ");
            head.Write(value);
            Write("\r\n");
        }
        if (!request.OwnFraming)
        {
            if (request.Chunked)
            {
                Write("Transfer-Encoding: chunked\r\n");
            }
            else if (request.Body is not null || request.Method is "POST" or "PUT" or "PATCH")
            {
                Write($"Content-Length: {request.Body?.Length ?? 0}\r\n");
            }
        }
        Write("Connection: close\r\n\r\n");
        if (request.Body is { } body)
        {
            if (request.Chunked)
            {
                // Uneven chunks, to exercise the decoder too.
                var offset = 0;
                var size = 7;
                while (offset < body.Length)
                {
                    var length = Math.Min(size, body.Length - offset);
                    Write($"{length:x}\r\n");
                    head.Write(body, offset, length);
                    Write("\r\n");
                    offset += length;
                    size = size * 3 + 1;
                }
                Write("0\r\n\r\n");
            }
            else
            {
                head.Write(body);
            }
        }
        return head.ToArray();
    }

    public static RawResponse Parse(byte[] data, string method = "GET")
    {
        var offset = 0;
        while (true)
        {
            var end = IndexOf(data, "\r\n\r\n"u8, offset);
            if (end < 0)
            {
                throw new IOException($"incomplete response head ({data.Length - offset} bytes): {Encoding.Latin1.GetString(data, offset, Math.Min(200, data.Length - offset))}");
            }
            var head = Encoding.Latin1.GetString(data, offset, end - offset).Split("\r\n");
            var statusParts = head[0].Split(' ', 3);
            if (statusParts.Length < 2 || !statusParts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(statusParts[1], out var status))
            {
                throw new IOException($"bad status line: {head[0]}");
            }
            var bodyStart = end + 4;
            if (status is >= 100 and < 200)
            {
                offset = bodyStart; // 100 Continue: the real response follows
                continue;
            }
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in head.Skip(1))
            {
                var colon = line.IndexOf(':');
                if (colon > 0)
                {
                    var name = line[..colon].Trim();
                    var value = line[(colon + 1)..].Trim();
                    headers[name] = headers.TryGetValue(name, out var previous) ? previous + "," + value : value;
                }
            }
            var rest = data.AsSpan(bodyStart);
            byte[] body;
            if (method == "HEAD" || status is 204 or 304)
            {
                body = [];
            }
            else if (headers.TryGetValue("transfer-encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                body = Dechunk(rest);
            }
            else if (headers.TryGetValue("content-length", out var cl) && int.TryParse(cl, out var length))
            {
                if (rest.Length < length) throw new IOException($"truncated body: {rest.Length} of {length} bytes");
                body = rest[..length].ToArray();
            }
            else
            {
                body = rest.ToArray();
            }
            return new RawResponse(status, headers, body);
        }
    }

    private static byte[] Dechunk(ReadOnlySpan<byte> data)
    {
        var body = new MemoryStream();
        var offset = 0;
        while (true)
        {
            var lineEnd = IndexOf(data, "\r\n"u8, offset);
            if (lineEnd < 0) throw new IOException("truncated chunked body");
            var sizeText = Encoding.Latin1.GetString(data[offset..lineEnd]).Split(';')[0].Trim();
            var size = Convert.ToInt32(sizeText, 16);
            offset = lineEnd + 2;
            if (size == 0) return body.ToArray();
            if (offset + size > data.Length) throw new IOException("truncated chunk");
            body.Write(data.Slice(offset, size));
            offset += size + 2;
        }
    }

    private static int IndexOf(ReadOnlySpan<byte> data, ReadOnlySpan<byte> value, int from)
    {
        var index = data[from..].IndexOf(value);
        return index < 0 ? -1 : from + index;
    }
}
