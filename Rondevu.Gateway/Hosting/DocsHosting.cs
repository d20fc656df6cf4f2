using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Rondevu.Gateway.Endpoints;
using Rondevu.Gateway.Http;
using Rondevu.Grains;
using Scalar.AspNetCore;

namespace Rondevu.Gateway.Hosting;

/// <summary>
/// What a human or a tool needs to learn the API: the OpenAPI document at <c>/openapi/v1.json</c>,
/// the Scalar API reference at <c>/docs</c> and the browser demo at <c>/demo</c>. Everything is served
/// from this process (Scalar's bundle is embedded in its package), so it all works offline. Each route
/// describes itself where it is mapped; this adds what holds for the whole API.
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
            // An SDP is a plain JSON string on the wire, whatever type holds it in memory: described inline as one.
            options.CreateSchemaReferenceId = type =>
                type.Type == typeof(Utf8Text) ? null : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
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

    /// <summary>Route and query parameters by name: the same name means the same thing on every route. Query values are
    /// parsed by hand from strings (so each mistake gets its own 400), so their schema says what they really hold.</summary>
    private static readonly Dictionary<string, (string Description, Func<OpenApiSchema>? Schema)> Parameters = new()
    {
        ["limit"] = ("Page size: a positive integer, default 50, values above 200 are capped.",
            () => new() { Type = JsonSchemaType.Integer, Minimum = "1", Default = RequestValidation.DefaultPageSize }),
        ["offset"] = ("Topics to skip, default 0.", () => new() { Type = JsonSchemaType.Integer, Minimum = "0", Default = 0 }),
        ["startsWith"] = ("Literal, case-sensitive topic prefix.", () => new() { Type = JsonSchemaType.String }),
        ["bloom"] = ("Base64 Bloom filter (1–4096 bytes) of peer ids to exclude; URL-encode it.",
            () => new() { Type = JsonSchemaType.String, Format = "byte" }),
        ["since"] = ("Milliseconds since the Unix epoch: only items newer than this.",
            () => new() { Type = JsonSchemaType.Integer, Format = "int64" }),
        ["wait"] = ("Long poll: hold the request up to this many seconds (1–30, larger values are capped) until there is news.",
            () => new() { Type = JsonSchemaType.Integer, Minimum = "1", Maximum = RequestValidation.MaxWaitSeconds.ToString() }),
        ["offerId"] = ("32 lowercase hex characters.", null),
        ["peerId"] = ("32 lowercase hex characters.", null),
    };

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

    private static Task DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is OpenApiParameter { Name: { } name } concrete && Parameters.TryGetValue(name, out var known))
            {
                concrete.Description = known.Description;
                concrete.Schema = known.Schema?.Invoke() ?? concrete.Schema;
            }
        }
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        foreach (var declared in metadata.OfType<IProducesResponseTypeMetadata>())
        {
            if (declared.Description is { } meaning && operation.Responses?.TryGetValue(declared.StatusCode.ToString(), out var response) == true &&
                response is OpenApiResponse concreteResponse)
            {
                concreteResponse.Description = meaning;
            }
        }
        if (metadata.OfType<IAuthorizeData>().Any())
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }];
        }
        if (operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse success)
        {
            success.Description = "Success";
        }
        return Task.CompletedTask;
    }

    /// <summary>Says what the JSON really looks like: integers are numbers (never strings), and a field without
    /// a value is omitted from responses rather than null (in requests, null is accepted and means absent).</summary>
    private static Task DescribeSchema(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonTypeInfo.Type == typeof(Utf8Text))
        {
            schema.Type = JsonSchemaType.String;
            schema.Properties = null;
        }
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.Integer) && type.HasFlag(JsonSchemaType.String))
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }
        if (schema.Properties is { Count: > 0 } properties)
        {
            var isRequest = context.JsonTypeInfo.Type.DeclaringType == typeof(RequestBodies);
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
        if (context.JsonPropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(RequestBodies.LimitedByAttribute), false) is [RequestBodies.LimitedByAttribute limit])
        {
            var value = limit.ValueIn(context.ApplicationServices.GetRequiredService<IOptions<RondevuOptions>>().Value);
            if (schema.Type?.HasFlag(JsonSchemaType.Array) == true)
            {
                schema.MaxItems = value;
            }
            else
            {
                schema.MaxLength = value;
            }
        }
                if (context.JsonTypeInfo.Type == typeof(RawJson))
        {
            schema.Description = "Any JSON value, returned with exactly the text the client sent (typically RTCIceCandidate.toJSON()).";
        }
        return Task.CompletedTask;
    }
}
