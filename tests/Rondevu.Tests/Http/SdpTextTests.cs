using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Rondevu.Grains;

namespace Rondevu.Tests.Http;

/// <summary>SDPs are held as UTF-8 bytes (<see cref="Utf8Text"/>): what clients read and what is stored must be exactly
/// what a string gave before.</summary>
[Collection("gateway")]
public sealed class SdpTextTests(GatewayFixture gateway)
{
    private readonly Api _api = gateway.Api;

    /// <summary>Line breaks, quotes, a backslash, characters JSON encoders escape for HTML, accents, CJK and an emoji
    /// (a surrogate pair in UTF-16, four bytes in UTF-8).</summary>
    private const string Tricky = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=\"x\" \\ <b>&'+</b> café 日本 😀\t\u0001\r\n";

    /// <summary>A string property as the gateway's JSON options write a string (ASP.NET's relaxed escaping).</summary>
    private string SdpProperty(string sdp) =>
        "\"sdp\":" + JsonSerializer.Serialize(sdp, gateway.Factory.Services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions);

    [Fact]
    public async Task Every_response_with_an_sdp_writes_it_as_the_same_json_string_as_before()
    {
        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var topic = Api.Unique();
        var offerId = await _api.PublishOneOk(offerer, topic, sdp: Tricky);
        var answer = "answer " + Tricky;

        Assert.Contains(SdpProperty(Tricky), (await _api.Get(Api.TopicPath(topic))).Text);
        Assert.Contains(SdpProperty(Tricky), (await _api.Get($"/peers/{offerer.Id}/offers")).Text);
        Assert.Contains(SdpProperty(Tricky), (await _api.Get("/offers/mine", offerer)).Text);
        await _api.AnswerOk(answerer, offerId, answer);
        var answers = await _api.Get("/offers/answers", offerer);
        Assert.Contains(SdpProperty(answer), answers.Text);
        Assert.Equal(answer, answers.Json.GetProperty("answers")[0].GetProperty("sdp").GetString());
    }

    [Fact]
    public void An_sdp_serializes_to_the_bytes_of_the_string_it_replaced_and_reads_back_from_them()
    {
        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

        var asString = serializer.SerializeToArray(Tricky);
        Assert.Equal(asString, serializer.SerializeToArray(Utf8Text.From(Tricky)));
        // Offers stored in payload format 1 held their SDPs as strings: they read back unchanged.
        Assert.Equal(Tricky, serializer.Deserialize<Utf8Text>(asString)?.ToString());
        Assert.Null(serializer.Deserialize<Utf8Text?>(serializer.SerializeToArray<string?>(null)));
    }
}
