using System.Collections.Concurrent;
using System.Text.Json;
using static Microsoft.Playwright.Assertions;

namespace Rondevu.BrowserTests;

/// <summary>The OpenAPI document and the Scalar reference, both served by the gateway itself.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DocsTests(BrowserFixture fixture, ITestOutputHelper output)
{
    /// <summary>The endpoints table of API.md, and its push extension (/poll): method, path, authenticated, and the
    /// error statuses docs/API.md gives the route (401 on every authenticated one).</summary>
    public static TheoryData<string, string, bool, int[]> Routes => new()
    {
        { "GET", "/", false, [] },
        { "GET", "/health", false, [] },
        { "POST", "/register", false, [] },
        { "POST", "/offers", true, [400, 401, 429] },
        { "GET", "/offers/by-topic/{topic}", false, [400] },
        { "GET", "/topics", false, [400] },
        { "GET", "/peers/{peerId}/offers", false, [] },
        { "GET", "/offers/mine", true, [401] },
        { "PUT", "/offers/{offerId}/heartbeat", true, [401, 404] },
        { "DELETE", "/offers/{offerId}", true, [401, 404] },
        { "POST", "/offers/{offerId}/answer", true, [400, 401, 403, 404, 409] },
        { "GET", "/offers/answers", true, [400, 401, 429] },
        { "POST", "/offers/{offerId}/ice-candidates", true, [400, 401, 403, 404, 429] },
        { "GET", "/offers/{offerId}/ice-candidates", true, [400, 401, 403, 404, 429] },
        { "GET", "/poll", true, [400, 401, 429] },
    };

    /// <summary>Routes that take a JSON body, and the fields the document must require.</summary>
    private static readonly Dictionary<string, string[]> RequestBodies = new()
    {
        ["POST /offers"] = ["offers"],
        ["POST /offers/{offerId}/answer"] = ["sdp"],
        ["POST /offers/{offerId}/ice-candidates"] = ["candidates"],
    };

    /// <summary>The fields docs/API.md lists in each route's success response.</summary>
    private static readonly Dictionary<string, string[]> ResponseFields = new()
    {
        ["GET /"] = ["version", "name", "description"],
        ["GET /health"] = ["status", "timestamp", "version"],
        ["POST /register"] = ["peerId", "secret"],
        ["POST /offers"] = ["offers"],
        ["GET /offers/by-topic/{topic}"] = ["topic", "offers", "total", "returned"],
        ["GET /topics"] = ["topics", "total", "limit", "offset", "startsWith"],
        ["GET /peers/{peerId}/offers"] = ["peerId", "offers", "topics"],
        ["GET /offers/mine"] = ["peerId", "offers"],
        ["PUT /offers/{offerId}/heartbeat"] = ["offerId", "lastSeen"],
        ["DELETE /offers/{offerId}"] = ["deleted"],
        ["POST /offers/{offerId}/answer"] = ["offerId", "answererId", "answeredAt"],
        ["GET /offers/answers"] = ["answers"],
        ["POST /offers/{offerId}/ice-candidates"] = ["offerId", "candidatesAdded"],
        ["GET /offers/{offerId}/ice-candidates"] = ["offerId", "candidates"],
        ["GET /poll"] = ["answers", "iceCandidates", "timestamp"],
    };

    private async Task<JsonElement> OpenApiAsync()
    {
        using var http = new HttpClient { BaseAddress = fixture.BaseAddress };
        using var response = await http.GetAsync("openapi/v1.json");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task The_OpenAPI_document_describes_every_route(string method, string path, bool authenticated, int[] errors)
    {
        var document = await OpenApiAsync();
        Assert.True(document.GetProperty("paths").TryGetProperty(path, out var item), $"{path} is missing from /openapi/v1.json");
        Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out var operation), $"{method} {path} is missing from /openapi/v1.json");
        var route = $"{method} {path}";

        Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("operationId").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()));
        Assert.Single(operation.GetProperty("tags").EnumerateArray());
        foreach (var parameter in path.Split('/').Where(s => s.StartsWith('{')).Select(s => s.Trim('{', '}')))
        {
            Assert.Contains(operation.GetProperty("parameters").EnumerateArray(),
                p => p.GetProperty("name").GetString() == parameter && p.GetProperty("in").GetString() == "path");
        }

        var responses = operation.GetProperty("responses");
        var success = SchemaOf(document, responses.GetProperty("200"));
        Assert.All(ResponseFields[route], field => Assert.True(success.GetProperty("properties").TryGetProperty(field, out _),
            $"the 200 schema of {route} lacks {field}"));

        var secured = operation.TryGetProperty("security", out var security) &&
            security.EnumerateArray().Any(requirement => requirement.TryGetProperty("bearer", out _));
        Assert.Equal(authenticated, secured);

        var listed = responses.EnumerateObject().Select(r => r.Name).Where(status => status != "200").Order().ToArray();
        Assert.Equal(errors.Select(status => status.ToString()).ToArray(), listed);
        foreach (var status in listed)
        {
            var error = responses.GetProperty(status);
            Assert.NotEqual(ReasonPhrase(status), error.GetProperty("description").GetString());
            Assert.Contains("error", SchemaOf(document, error).GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        }

        Assert.Equal(RequestBodies.ContainsKey(route), operation.TryGetProperty("requestBody", out var requestBody));
        if (RequestBodies.TryGetValue(route, out var required))
        {
            var body = SchemaOf(document, requestBody);
            var names = body.GetProperty("required").EnumerateArray().Select(e => e.GetString()).ToArray();
            Assert.All(required, field => Assert.Contains(field, names));
            Assert.All(body.GetProperty("properties").EnumerateObject(), property =>
                Assert.False(string.IsNullOrWhiteSpace(property.Value.GetProperty("description").GetString()), $"{route}: {property.Name} is not described"));
        }
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_each_offer_of_a_publish()
    {
        var document = await OpenApiAsync();
        var body = SchemaOf(document, document.GetProperty("paths").GetProperty("/offers").GetProperty("post").GetProperty("requestBody"));
        var offer = Resolve(document, body.GetProperty("properties").GetProperty("offers").GetProperty("items"));

        Assert.Equal(["sdp", "topics"], offer.GetProperty("required").EnumerateArray().Select(e => e.GetString()).Order());
        var properties = offer.GetProperty("properties");
        Assert.Equal(["info", "sdp", "secret", "topics", "ttl"], properties.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(128, properties.GetProperty("secret").GetProperty("maxLength").GetInt32());
        Assert.Equal(65536, properties.GetProperty("sdp").GetProperty("maxLength").GetInt32());
        Assert.Equal(50, properties.GetProperty("topics").GetProperty("maxItems").GetInt32());
        Assert.Equal(100, body.GetProperty("properties").GetProperty("offers").GetProperty("maxItems").GetInt32());
        Assert.Equal("string", properties.GetProperty("topics").GetProperty("items").GetProperty("type").GetString());
    }

    [Fact]
    public async Task The_OpenAPI_document_declares_the_bearer_scheme_and_lists_only_API_routes()
    {
        var document = await OpenApiAsync();
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());

        var listed = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => $"{o.Name.ToUpperInvariant()} {p.Name}"))
            .Order().ToArray();
        var expected = Routes.Select(r => $"{r[0]} {r[1]}").Order().ToArray();
        output.WriteLine(string.Join("\n", listed));
        Assert.Equal(expected, listed);
    }

    [Fact]
    public async Task The_docs_page_renders_the_Scalar_reference_without_any_network()
    {
        await using var context = await fixture.NewContextAsync();
        var external = new ConcurrentBag<string>();
        await context.RouteAsync("**/*", async route =>
        {
            var url = new Uri(route.Request.Url);
            if (url.Scheme is "http" or "https" && url.Authority != fixture.BaseAddress.Authority)
            {
                external.Add(route.Request.Url);
                await route.AbortAsync();
                return;
            }
            await route.ContinueAsync();
        });
        var page = await context.NewPageAsync();

        var openApi = page.WaitForResponseAsync(r => r.Url.EndsWith("/openapi/v1.json"));
        var response = await page.GotoAsync("docs");
        Assert.True(response?.Ok, $"/docs answered {response?.Status}");
        Assert.True((await openApi).Ok);

        await Expect(page).ToHaveTitleAsync("Rondevu API");
        // The sidebar lists the operations by summary; the first tag group starts open.
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Issue a peer id and its secret" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "ICE", Exact = true })).ToBeVisibleAsync();
        Assert.True(external.IsEmpty, "The docs page tried to reach the network: " + string.Join(", ", external));
    }

    /// <summary>What the document says of a status nobody described.</summary>
    private static string? ReasonPhrase(string status) => new HttpResponseMessage((System.Net.HttpStatusCode)int.Parse(status)).ReasonPhrase;

    private static JsonElement SchemaOf(JsonElement document, JsonElement withContent)
    {
        var schema = withContent.GetProperty("content").GetProperty("application/json").GetProperty("schema");
        return Resolve(document, schema);
    }

    private static JsonElement Resolve(JsonElement document, JsonElement schema)
    {
        if (!schema.TryGetProperty("$ref", out var reference)) return schema;
        var name = reference.GetString()!["#/components/schemas/".Length..];
        return document.GetProperty("components").GetProperty("schemas").GetProperty(name);
    }
}
