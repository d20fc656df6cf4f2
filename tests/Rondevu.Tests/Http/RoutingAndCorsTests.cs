using System.Net;

namespace Rondevu.Tests.Http;

/// <summary>API.md "Conventions" (errors are JSON, client mistakes are 4xx) and "CORS" with <c>CORS_ORIGINS=*</c>.</summary>
[Collection("gateway")]
public sealed class RoutingAndCorsTests(GatewayFixture gateway)
{
    private const string SomeOffer = "0123456789abcdef0123456789abcdef";
    private readonly Api _api = gateway.Api;

    [Theory]
    [InlineData("GET", "/nope")]
    [InlineData("POST", "/offers/" + SomeOffer + "/unknown")]
    [InlineData("GET", "/peers/" + SomeOffer)]
    [InlineData("GET", "/register/extra")]
    public async Task Unknown_route_is_404_with_error(string method, string path)
    {
        Expect.Error(await _api.Send(new HttpMethod(method), path, null, null), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("DELETE", "/health")]
    [InlineData("POST", "/")]
    [InlineData("GET", "/register")]
    [InlineData("PUT", "/register")]
    [InlineData("PATCH", "/offers")]
    [InlineData("POST", "/topics")]
    [InlineData("GET", "/offers/" + SomeOffer + "/answer")]
    [InlineData("GET", "/offers/" + SomeOffer + "/heartbeat")]
    [InlineData("DELETE", "/offers/" + SomeOffer + "/ice-candidates")]
    public async Task Wrong_method_is_405_with_error(string method, string path)
    {
        Expect.Error(await _api.Send(new HttpMethod(method), path, null, null), HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Malformed_json_is_400_on_every_json_route()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var id = await _api.PublishOneOk(offerer, Api.Unique());
        await _api.AnswerOk(answerer, id);
        foreach (var path in new[] { "/offers", $"/offers/{id}/answer", $"/offers/{id}/ice-candidates" })
        {
            Expect.Error(await _api.Post(path, "{\"broken\":", answerer), HttpStatusCode.BadRequest, "JSON");
            Expect.Error(await _api.Post(path, "{'single':'quotes'}", answerer), HttpStatusCode.BadRequest, "JSON");
            Expect.Error(await _api.Post(path, "[]", answerer), HttpStatusCode.BadRequest);
        }
    }

    [Fact]
    public async Task Oversize_body_is_413_with_error()
    {
        var peer = await _api.Register();
        var huge = "{\"offers\":[{\"sdp\":\"" + new string('x', 31_000_000) + "\",\"topics\":[\"t\"]}]}";
        // Expect: 100-continue lets the server answer before the client has sent 31 MB it will never read.
        var response = await _api.Send(HttpMethod.Post, "/offers", huge, peer.Header, r => r.Headers.ExpectContinue = true);
        Expect.Error(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData("/", "GET")]
    [InlineData("/register", "POST")]
    [InlineData("/offers", "POST")]
    [InlineData("/offers/mine", "GET")]
    [InlineData("/offers/answers", "GET")]
    [InlineData("/offers/by-topic/chat%2Froom", "GET")]
    [InlineData("/topics", "GET")]
    [InlineData("/peers/" + SomeOffer + "/offers", "GET")]
    [InlineData("/offers/" + SomeOffer + "/heartbeat", "PUT")]
    [InlineData("/offers/" + SomeOffer, "DELETE")]
    [InlineData("/offers/" + SomeOffer + "/answer", "POST")]
    [InlineData("/offers/" + SomeOffer + "/ice-candidates", "POST")]
    public async Task Preflight_works_on_every_route_with_methods_headers_and_max_age_600(string path, string method)
    {
        var response = await Preflight(_api, path, "https://anywhere.example", method);
        Assert.True(response.Status is HttpStatusCode.NoContent or HttpStatusCode.OK, response.ToString());
        Assert.Equal("*", response.Header("Access-Control-Allow-Origin"));
        var methods = Split(response.Header("Access-Control-Allow-Methods"));
        foreach (var allowed in new[] { "GET", "POST", "PUT", "DELETE", "OPTIONS" })
        {
            Assert.Contains(allowed, methods, StringComparer.OrdinalIgnoreCase);
        }
        var headers = Split(response.Header("Access-Control-Allow-Headers"));
        foreach (var allowed in new[] { "Content-Type", "Origin", "Authorization" })
        {
            Assert.Contains(allowed, headers, StringComparer.OrdinalIgnoreCase);
        }
        Assert.Equal("600", response.Header("Access-Control-Max-Age"));
    }

    [Fact]
    public async Task Any_origin_may_call_and_read_success_and_error_responses()
    {
        var origin = new Action<HttpRequestMessage>(r => r.Headers.Add("Origin", "https://somewhere.example"));
        var health = await _api.Send(HttpMethod.Get, "/health", null, null, origin);
        Expect.Ok(health);
        Assert.Equal("*", health.Header("Access-Control-Allow-Origin"));

        var unauthorized = await _api.Send(HttpMethod.Get, "/offers/mine", null, null, origin);
        Expect.Error(unauthorized, HttpStatusCode.Unauthorized);
        Assert.Equal("*", unauthorized.Header("Access-Control-Allow-Origin"));

        var badRequest = await _api.Send(HttpMethod.Get, "/topics?limit=x", null, null, origin);
        Expect.Error(badRequest, HttpStatusCode.BadRequest);
        Assert.Equal("*", badRequest.Header("Access-Control-Allow-Origin"));
    }

    public static Task<ApiResponse> Preflight(Api api, string path, string origin, string method) =>
        api.Send(HttpMethod.Options, path, null, null, request =>
        {
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", method);
            request.Headers.Add("Access-Control-Request-Headers", "content-type,origin,authorization");
        });

    public static string[] Split(string? header) =>
        (header ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
