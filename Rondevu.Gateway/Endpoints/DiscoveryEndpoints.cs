using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Rondevu.Gateway.Http;
using Rondevu.Grains;

namespace Rondevu.Gateway.Endpoints;

/// <summary>Public, unauthenticated reads: offers by topic, the topic list, one peer's offers.</summary>
public static class DiscoveryEndpoints
{
    private const string ByTopicPrefix = "/offers/by-topic/";

    public static IEndpointRouteBuilder MapDiscoveryEndpoints(this IEndpointRouteBuilder routes)
    {
        var discovery = routes.MapGroup("").WithTags("Discovery");
        discovery.MapGet(ByTopicPrefix + "{**topic}", ByTopic)
            .WithName("discoverOffers").WithSummary("Live, unanswered offers on a topic")
            .WithDescription("Newest `lastSeen` first. The topic is percent-encoded (`encodeURIComponent`); it may contain `/`. " +
                "`bloom` is the base64 of a Bloom filter (k = 3, FNV variant, see API.md) of peer ids to leave out.")
            .ProducesError(400)
            .AddOpenApiOperationTransformer(DeclareTopic);
        discovery.MapGet("/topics", Topics)
            .WithName("listTopics").WithSummary("Topics with live, unanswered offers")
            .WithDescription("Sorted by `activePeers` descending, then topic ascending (ordinal). `startsWith` is a literal prefix.")
            .ProducesError(400);
        discovery.MapGet("/peers/{peerId}/offers", PeerOffers)
            .WithName("getPeerOffers").WithSummary("A peer's live offers, answered ones included");
        return routes;
    }

    private static async Task<Results<Ok<DiscoveryResponse>, JsonHttpResult<ErrorResponse>>> ByTopic(
        HttpContext context, string? limit, string? bloom, IGrainFactory grains)
    {
        var topic = RequestValidation.PathTopic(RawPathAfter(context, ByTopicPrefix));
        var size = RequestValidation.Limit(limit);
        var filter = RequestValidation.Bloom(bloom);
        if (RequestValidation.FirstError(topic.Error, size.Error, filter.Error) is { } error)
        {
            return ApiErrors.BadRequest(error);
        }
        var page = await grains.GetTopicGrain(topic.Value).DiscoverAsync(size.Value, filter.Value);
        var offers = page.Offers.Select(PublicOffer.From).ToArray();
        return TypedResults.Ok(new DiscoveryResponse(topic.Value, offers, page.Total, offers.Length));
    }

    private static async Task<Results<Ok<TopicsResponse>, JsonHttpResult<ErrorResponse>>> Topics(
        string? limit, string? offset, string? startsWith, IGrainFactory grains)
    {
        var size = RequestValidation.Limit(limit);
        var skip = RequestValidation.Offset(offset);
        if (RequestValidation.FirstError(size.Error, skip.Error) is { } error)
        {
            return ApiErrors.BadRequest(error);
        }
        var prefix = string.IsNullOrEmpty(startsWith) ? null : startsWith;
        var wanted = (int)Math.Min((long)skip.Value + size.Value, int.MaxValue);
        var shards = await Task.WhenAll(Enumerable.Range(0, TopicShards.Count)
            .Select(shard => grains.GetTopicIndexGrain(shard).TopAsync(wanted, prefix)));
        var topics = shards.SelectMany(s => s.Topics)
            .OrderByDescending(t => t.ActivePeers).ThenBy(t => t.Topic, StringComparer.Ordinal)
            .Skip(skip.Value).Take(size.Value)
            .Select(t => new TopicSummary(t.Topic, t.ActivePeers))
            .ToArray();
        return TypedResults.Ok(new TopicsResponse(topics, shards.Sum(s => s.Total), size.Value, skip.Value, prefix));
    }

    private static async Task<Ok<PeerOffersResponse>> PeerOffers(string peerId, IGrainFactory grains)
    {
        // An id we never issue can hold no offers; don't wake a grain for it.
        var offers = Ids.IsValid(peerId) ? await grains.GetPeerGrain(peerId).GetPublicOffersAsync() : [];
        return TypedResults.Ok(new PeerOffersResponse(
            peerId,
            offers.Select(PeerOffer.From).ToArray(),
            offers.SelectMany(o => o.Topics).Distinct().ToArray()));
    }

    /// <summary>The topic is read from the raw path, so no handler parameter declares it to the OpenAPI document.</summary>
    private static Task DeclareTopic(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.Parameters ??= [];
        operation.Parameters.Insert(0, new OpenApiParameter
        {
            Name = "topic",
            In = ParameterLocation.Path,
            Required = true,
            Description = "The topic, percent-encoded.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = RequestValidation.MaxTopicLength },
        });
        return Task.CompletedTask;
    }

    /// <summary>The still-encoded path after a prefix: routing has already decoded all but %2F, so
    /// decoding its value again would turn a topic's literal "%25" into "%".</summary>
    private static string RawPathAfter(HttpContext context, string prefix)
    {
        var target = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        var path = target.Split('?', 2)[0];
        var start = path.IndexOf(prefix, StringComparison.OrdinalIgnoreCase);
        return start < 0 ? "" : path[(start + prefix.Length)..];
    }
}
