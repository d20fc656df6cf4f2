using System.ComponentModel;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Rondevu.Gateway.Endpoints;
using Rondevu.Gateway.Http;
using Scalar.AspNetCore;

namespace Rondevu.Gateway.Hosting;

/// <summary>
/// What a human or a tool needs to learn the API: the OpenAPI document at <c>/openapi/v1.json</c>,
/// the Scalar API reference at <c>/docs</c> and the browser demo at <c>/demo</c>. Everything is served
/// from this process (Scalar's bundle is embedded in its package), so it all works offline.
/// </summary>
public static class DocsHosting
{
    public const string OpenApiRoute = "/openapi/{documentName}.json";
    public const string DocsRoute = "/docs";
    public const string DemoRoute = "/demo";
    private const string BearerScheme = "bearer";

    public static WebApplicationBuilder AddRondevuDocs(this WebApplicationBuilder builder)
    {
        // Serve wwwroot from the project while running from build output (dotnet run, dotnet bin/…/Rondevu.Gateway.dll)
        // in any environment; a published app has wwwroot beside it and this is a no-op.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer(DescribeDocument);
            options.AddOperationTransformer(DescribeOperation);
            options.AddSchemaTransformer(DescribeSchema);
        });
        return builder;
    }

    public static WebApplication MapRondevuDocs(this WebApplication app)
    {
        // Only under /demo: the default-files middleware looks for a directory on disk for every path it sees.
        app.UseWhen(context => context.Request.Path.StartsWithSegments(DemoRoute), demo => demo.UseDefaultFiles().UseStaticFiles());
        app.MapOpenApi(OpenApiRoute);
        app.MapScalarApiReference(DocsRoute, options =>
        {
            options
                .WithTitle("Rondevu API")
                .WithOpenApiRoutePattern(OpenApiRoute)
                .DisableDefaultFonts()   // the default fonts come from Scalar's CDN
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp()
                .AddPreferredSecuritySchemes(BearerScheme);
            options.ShowDeveloperTools = DeveloperToolsVisibility.Never;
        });
        return app;
    }

    /// <summary>What each route is, what it takes and how it fails, keyed by "METHOD /path" as the document lists it.</summary>
    private static readonly Dictionary<string, Operation> Operations = new()
    {
        ["GET /"] = new("getInfo", "Service", "Service name, version and description"),
        ["GET /health"] = new("getHealth", "Service", "Liveness and version"),
        ["POST /register"] = new("register", "Service", "Issue a peer id and its secret",
            "Credentials are stateless: use them as `Authorization: Bearer {peerId}:{secret}`. The body is ignored (the client sends `{}`)."),
        ["POST /offers"] = new("publishOffers", "Offers", "Publish offers",
            "All-or-nothing: one invalid offer rejects the whole request and nothing is stored.",
            typeof(PublishOffersRequest), Errors(400, 401, 429)),
        ["GET /offers/mine"] = new("getMyOffers", "Offers", "The caller's live offers, secrets included", Errors: Errors(401)),
        ["GET /offers/answers"] = new("getAnswers", "Offers", "Answers to the caller's offers",
            "With `since`, only answers with `answeredAt > since`. With `wait`, the request is held until such an answer exists " +
            "or `wait` seconds pass (then `{\"answers\": []}`).", Errors: Errors(400, 401, 429)),
        ["PUT /offers/{offerId}/heartbeat"] = new("heartbeatOffer", "Offers", "Refresh an offer's lastSeen (owner only)",
            "Does not extend the expiry.", Errors: Errors(401, 404)),
        ["DELETE /offers/{offerId}"] = new("deleteOffer", "Offers", "Delete an offer (owner only)",
            "The offer and its candidates leave every listing at once.", Errors: Errors(401, 404)),
        ["POST /offers/{offerId}/answer"] = new("answerOffer", "Offers", "Answer an offer",
            "The first valid answer locks the offer to the answerer. 400 also covers answering your own offer.",
            typeof(AnswerRequest), Errors(400, 401, 403, 404, 409)),
        ["GET /offers/by-topic/{topic}"] = new("discoverOffers", "Discovery", "Live, unanswered offers on a topic",
            "Newest `lastSeen` first. The topic is percent-encoded (`encodeURIComponent`); it may contain `/`. " +
            "`bloom` is the base64 of a Bloom filter (k = 3, FNV variant, see API.md) of peer ids to leave out.",
            Errors: Errors(400)),
        ["GET /topics"] = new("listTopics", "Discovery", "Topics with live, unanswered offers",
            "Sorted by `activePeers` descending, then topic ascending (ordinal). `startsWith` is a literal prefix.",
            Errors: Errors(400)),
        ["GET /peers/{peerId}/offers"] = new("getPeerOffers", "Discovery", "A peer's live offers, answered ones included"),
        ["POST /offers/{offerId}/ice-candidates"] = new("addIceCandidates", "ICE", "Post ICE candidates (offerer or answerer)",
            "Each candidate is stored verbatim and returned with the exact JSON text sent.",
            typeof(IceCandidatesRequest), Errors(400, 401, 403, 404, 429)),
        ["GET /offers/{offerId}/ice-candidates"] = new("getIceCandidates", "ICE", "The other side's ICE candidates",
            "Oldest first; with `since`, only those with `createdAt > since`. Pass the last `createdAt` seen to never miss one. " +
            "With `wait`, the request is held until such a candidate exists or `wait` seconds pass.",
            Errors: Errors(400, 401, 403, 404, 429)),
        ["GET /poll"] = new("poll", "Push", "Everything the caller waits for, in one call",
            "Answers to the caller's offers and the other side's candidates on every offer it owns or answered, newer than `since`. " +
            "`timestamp` is the cursor to pass as the next `since`; nothing is skipped between calls that chain cursors. " +
            "With `wait`, the request is held until there is news or `wait` seconds pass.",
            Errors: Errors(400, 401, 429)),
    };

    private static readonly Dictionary<string, string> ParameterDescriptions = new()
    {
        ["limit"] = "Page size: a positive integer, default 50, values above 200 are capped.",
        ["offset"] = "Topics to skip, default 0.",
        ["startsWith"] = "Literal, case-sensitive topic prefix.",
        ["bloom"] = "Base64 Bloom filter (1–4096 bytes) of peer ids to exclude; URL-encode it.",
        ["since"] = "Milliseconds since the Unix epoch: only items newer than this.",
        ["wait"] = "Long poll: hold the request up to this many seconds (1–30, larger values are capped) until there is news.",
        ["topic"] = "The topic, percent-encoded.",
        ["offerId"] = "32 lowercase hex characters.",
        ["peerId"] = "32 lowercase hex characters.",
    };

    private static readonly Dictionary<string, Func<OpenApiSchema>> QuerySchemas = new()
    {
        ["limit"] = () => new() { Type = JsonSchemaType.Integer, Minimum = "1", Default = 50 },
        ["offset"] = () => new() { Type = JsonSchemaType.Integer, Minimum = "0", Default = 0 },
        ["since"] = () => new() { Type = JsonSchemaType.Integer, Format = "int64" },
        ["wait"] = () => new() { Type = JsonSchemaType.Integer, Minimum = "1", Maximum = "30" },
        ["bloom"] = () => new() { Type = JsonSchemaType.String, Format = "byte" },
        ["startsWith"] = () => new() { Type = JsonSchemaType.String },
    };

    private static readonly Dictionary<int, string> ErrorDescriptions = new()
    {
        [400] = "Invalid request: malformed JSON, a missing field, a value of the wrong type or out of range",
        [401] = "Missing or invalid `Authorization: Bearer {peerId}:{secret}`",
        [403] = "Not allowed: wrong or missing secret, or not a participant of the offer",
        [404] = "Offer not found (unknown, expired, or not the caller's)",
        [409] = "Offer already answered",
        [429] = "A per-peer or per-offer limit was reached (offers, candidates, or waiting requests)",
    };

    private static int[] Errors(params int[] statuses) => statuses;

    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        var version = context.ApplicationServices.GetRequiredService<ServiceVersion>().Value;
        document.Info = new OpenApiInfo
        {
            Title = ServiceEndpoints.Name,
            Version = version,
            Description = ServiceEndpoints.Description +
                ". Every error is `{\"error\": \"...\"}`; timestamps are milliseconds since the Unix epoch; " +
                "fields without a value are omitted. Try it in a browser at [/demo](/demo).",
        };

        // Groups mapped with "/" give "/offers/" and "/offers/{offerId}/ice-candidates/": list them as clients call them.
        var paths = new OpenApiPaths();
        foreach (var (path, item) in document.Paths.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var clean = path.Length > 1 ? path.TrimEnd('/') : path;
            if (paths.TryGetValue(clean, out var existing) && existing is OpenApiPathItem target && item.Operations is { } ops)
            {
                foreach (var (method, operation) in ops)
                {
                    target.AddOperation(method, operation);
                }
            }
            else
            {
                paths[clean] = item;
            }
        }
        document.Paths = paths;

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "{peerId}:{secret}",
            Description = "The `peerId` and `secret` returned by `POST /register`, joined by a colon.",
        };
        document.Tags = new HashSet<OpenApiTag>
        {
            new() { Name = "Service", Description = "Service information and registration" },
            new() { Name = "Offers", Description = "Publishing, answering and managing offers" },
            new() { Name = "Discovery", Description = "Finding offers, topics and peers (no authentication)" },
            new() { Name = "ICE", Description = "Trickle ICE between an offer's two sides" },
            new() { Name = "Push", Description = "Long polling: one request that waits for answers and candidates" },
        };
        return Task.CompletedTask;
    }

    private static async Task DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        var path = "/" + (description.RelativePath ?? "").Split('?')[0].TrimEnd('/').Replace("{**", "{").Replace("{*", "{");
        var key = $"{description.HttpMethod} {path}";
        if (!Operations.TryGetValue(key, out var info))
        {
            return;
        }

        operation.OperationId = info.Id;
        operation.Summary = info.Summary;
        operation.Description = info.Description;
        operation.Tags = new HashSet<OpenApiTagReference> { new(info.Tag, context.Document) };

        // The catch-all topic is read from the raw path, so no parameter binds it: declare it.
        if (path.Contains("{topic}") && !(operation.Parameters ?? []).Any(p => p.Name == "topic"))
        {
            operation.Parameters ??= [];
            operation.Parameters.Insert(0, new OpenApiParameter
            {
                Name = "topic",
                In = ParameterLocation.Path,
                Required = true,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = RequestValidation.MaxTopicLength },
            });
        }

        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is not OpenApiParameter { Name: { } name } concrete) continue;
            if (ParameterDescriptions.TryGetValue(name, out var text)) concrete.Description = text;
            // Query values are parsed by hand from strings (so each mistake gets its own 400): say what they hold.
            if (concrete.In == ParameterLocation.Query && QuerySchemas.TryGetValue(name, out var schema)) concrete.Schema = schema();
        }

        if (info.Body is { } bodyType)
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = await SchemaFor(bodyType, context, cancellationToken) },
                },
            };
        }

        var authenticated = description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Any();
        if (authenticated)
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }];
        }

        operation.Responses ??= new OpenApiResponses();
        var errors = info.Errors ?? [];
        if (authenticated && !errors.Contains(401))
        {
            errors = [.. errors, 401];
        }
        var errorSchema = await SchemaFor(typeof(ErrorResponse), context, cancellationToken);
        foreach (var status in errors.Order())
        {
            operation.Responses[status.ToString()] = new OpenApiResponse
            {
                Description = ErrorDescriptions[status],
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = errorSchema } },
            };
        }
        if (operation.Responses.TryGetValue("200", out var ok) && ok is OpenApiResponse okResponse)
        {
            okResponse.Description = "Success";
        }
    }

    /// <summary>Says what the JSON really looks like: integers are numbers (never strings), and a field without
    /// a value is omitted from responses rather than null (in requests, null is accepted and means absent).</summary>
    private static Task DescribeSchema(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.Integer) && type.HasFlag(JsonSchemaType.String))
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }
        if (schema.Properties is { Count: > 0 } properties)
        {
            var isRequest = context.JsonTypeInfo.Type.DeclaringType == typeof(DocsHosting);
            foreach (var (name, property) in properties)
            {
                if (property is OpenApiSchema { Type: { } propertyType } concrete && propertyType.HasFlag(JsonSchemaType.Null))
                {
                    schema.Required?.Remove(name);
                    if (!isRequest)
                    {
                        concrete.Type = propertyType & ~JsonSchemaType.Null;
                    }
                }
            }
        }
        if (context.JsonTypeInfo.Type == typeof(RawJson))
        {
            schema.Description = "Any JSON value, returned with exactly the text the client sent (typically RTCIceCandidate.toJSON()).";
        }
        return Task.CompletedTask;
    }

    private static async Task<IOpenApiSchema> SchemaFor(Type type, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var schema = await context.GetOrCreateSchemaAsync(type, null, cancellationToken);
        var id = type.Name;
        context.Document?.AddComponent(id, schema);
        return context.Document is null ? schema : new OpenApiSchemaReference(id, context.Document);
    }

    private sealed record Operation(string Id, string Tag, string Summary, string? Description = null, Type? Body = null, int[]? Errors = null);

    // Request bodies are parsed by hand (RequestValidation) so that every mistake gets its own 400 message;
    // these records only describe them.

    [Description("Offers to publish, all-or-nothing.")]
    private sealed record PublishOffersRequest(
        [property: Description("1 to MAX_OFFERS_PER_REQUEST (100) offers.")] OfferInput[] Offers);

    private sealed record OfferInput(
        [property: Description("The offer's SDP: a non-empty string of at most MAX_SDP_SIZE (65536) characters.")] string Sdp,
        [property: Description("1 to MAX_TOPICS_PER_OFFER (50) topics of 1–256 characters; duplicates count once.")] string[] Topics,
        [property: Description("Time to live in ms: absent, null or 0 → OFFER_DEFAULT_TTL; otherwise clamped to [OFFER_MIN_TTL, OFFER_MAX_TTL].")] long? Ttl,
        [property: Description("Optional password (at most 128 characters) an answerer must send.")] string? Secret,
        [property: Description("Optional public text (at most 128 characters) shown to discoverers.")] string? Info);

    private sealed record AnswerRequest(
        [property: Description("The answer's SDP: a non-empty string of at most MAX_SDP_SIZE characters.")] string Sdp,
        [property: Description("The offer's secret, when it has one.")] string? Secret);

    private sealed record IceCandidatesRequest(
        [property: Description("1 to 100 candidates, any JSON (typically RTCIceCandidate.toJSON()), each at most 4096 UTF-8 bytes and nesting depth 10; stored and returned verbatim.")]
        JsonElement[] Candidates);
}
