using System.Net;

namespace Rondevu.Tests.Http;

/// <summary>
/// API.md "Errors": a grain call the cluster's runtime could not complete (a silo gone, no response in time, a
/// message expired before its grain could be placed) is 503 "retry", and changes nothing; any other failure
/// stays a 500, so that bugs are not dressed up as outages.
/// </summary>
[Collection("gateway")]
public sealed class RuntimeFailureTests(GatewayFixture gateway)
{
    private readonly Api _api = gateway.Api;

    public static TheoryData<string> RuntimeFailures => ["silo unavailable", "response timeout", "expired before placement"];

    private static Exception Failure(string kind) => kind switch
    {
        "silo unavailable" => new SiloUnavailableException(),
        "response timeout" => new TimeoutException("Response did not arrive on time"),
        // What Orleans' placement throws when a message's time to live runs out while its grain is being placed,
        // as it did in a compose failover test; it once surfaced as a 500.
        "expired before placement" => new OperationCanceledException("Message expired before placement could complete"),
        _ => new InvalidOperationException(kind),
    };

    [Theory]
    [MemberData(nameof(RuntimeFailures))]
    public async Task A_grain_call_the_runtime_could_not_complete_is_503_retry_and_stores_nothing(string kind)
    {
        var peer = await _api.Register();
        var topic = Api.Unique();
        gateway.FailingCalls.FailNext(peer.Id, Failure(kind));

        var response = await _api.Post("/offers", new { offers = new[] { new { sdp = "v=0 offer", topics = new[] { topic } } } }, peer);

        Expect.Error(response, HttpStatusCode.ServiceUnavailable, "retry");
        Assert.Empty(await _api.MineOk(peer));
        await _api.PublishOneOk(peer, topic);
    }

    [Fact]
    public async Task Any_other_failure_of_a_grain_call_stays_a_500()
    {
        var peer = await _api.Register();
        gateway.FailingCalls.FailNext(peer.Id, Failure("a bug"));

        var response = await _api.Get("/offers/mine", peer);

        Expect.Error(response, HttpStatusCode.InternalServerError, "Internal server error");
    }
}
