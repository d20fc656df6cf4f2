using System.Collections.Concurrent;
using System.Text.Json;
using static Microsoft.Playwright.Assertions;

namespace Rondevu.BrowserTests;

/// <summary>The OpenAPI document and the Scalar reference, both served by the gateway itself.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DocsTests(BrowserFixture fixture, ITestOutputHelper output)
{
    /// <summary>The endpoints table of API.md, and its push extension (/poll): method, path, authenticated.</summary>
    public static TheoryData<string, string, bool> Routes => new()
    {
        { "GET", "/", false },
        { "GET", "/health", false },
        { "POST", "/register", false },
        { "POST", "/offers", true },
        { "GET", "/offers/by-topic/{topic}", false },
        { "GET", "/topics", false },
        { "GET", "/peers/{peerId}/offers", false },
        { "GET", "/offers/mine", true },
        { "PUT", "/offers/{offerId}/heartbeat", true },
        { "DELETE", "/offers/{offerId}", true },
        { "POST", "/offers/{offerId}/answer", true },
        { "GET", "/offers/answers", true },
        { "POST", "/offers/{offerId}/ice-candidates", true },
        { "GET", "/offers/{offerId}/ice-candidates", true },
        { "GET", "/poll", true },
    };

    /// <summary>Routes whose JSON body the handler reads by hand, and the fields the document must require.</summary>
    private static readonly Dictionary<string, string[]> RequestBodies = new()
    {
        ["POST /offers"] = ["offers"],
        ["POST /offers/{offerId}/answer"] = ["sdp"],
        ["POST /offers/{offerId}/ice-candidates"] = ["candidates"],
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
    public async Task The_OpenAPI_document_describes_every_route(string method, string path, bool authenticated)
    {
        var document = await OpenApiAsync();
        Assert.True(document.GetProperty("paths").TryGetProperty(path, out var item), $"{path} is missing from /openapi/v1.json");
        Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out var operation), $"{method} {path} is missing from /openapi/v1.json");

        Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("operationId").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()));
        var responses = operation.GetProperty("responses");
        Assert.Equal(JsonValueKind.Object, SchemaOf(document, responses.GetProperty("200")).ValueKind);

        var secured = operation.TryGetProperty("security", out var security) &&
            security.EnumerateArray().Any(requirement => requirement.TryGetProperty("bearer", out _));
        Assert.Equal(authenticated, secured);
        if (authenticated)
        {
            var error = SchemaOf(document, responses.GetProperty("401"));
            Assert.Contains("error", error.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        }

        if (RequestBodies.TryGetValue($"{method} {path}", out var required))
        {
            var body = SchemaOf(document, operation.GetProperty("requestBody"));
            var names = body.GetProperty("required").EnumerateArray().Select(e => e.GetString()).ToArray();
            Assert.All(required, field => Assert.Contains(field, names));
        }
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
