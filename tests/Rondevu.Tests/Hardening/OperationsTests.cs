using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Rondevu.Grains;
using Rondevu.Tests.Http;

namespace Rondevu.Tests.Hardening;

/// <summary>/metrics in Prometheus text format, and the liveness and readiness probes.</summary>
[Collection("hardening-operations")]
public sealed class OperationsTests(OperationsGatewayFixture gateway)
{
    private readonly Api _api = gateway.Api;

    /// <summary>The Prometheus names of the meter "Rondevu" (OpenTelemetry's exporter: dots become
    /// underscores, counters get <c>_total</c>, a unit in braces is dropped).</summary>
    public static readonly string[] RondevuMetricNames =
    [
        "rondevu_offers_created_total", "rondevu_offers_answered_total", "rondevu_offers_deleted_total",
        "rondevu_ice_candidates_posted_total", "rondevu_offers_active", "rondevu_topics_active", "rondevu_polls_waiting",
    ];

    [Fact]
    public async Task Metrics_count_exactly_what_the_grains_did_next_to_HTTP_and_Orleans_metrics()
    {
        // This host's own meter (from its IMeterFactory): only this test's requests move it.
        var meters = gateway.Factory.Services.GetRequiredService<IMeterFactory>();
        MetricCollector<long> Collect(string instrument) => new(meters, RondevuMetrics.MeterName, instrument);
        using var created = Collect("rondevu.offers.created");
        using var answered = Collect("rondevu.offers.answered");
        using var deleted = Collect("rondevu.offers.deleted");
        using var candidates = Collect("rondevu.ice_candidates.posted");
        using var active = Collect("rondevu.offers.active");
        using var waiting = Collect("rondevu.polls.waiting");

        var offerer = await _api.Register();
        var answerer = await _api.Register();
        var topic = Api.Unique("metrics");
        var ids = await _api.PublishOk(offerer,
            new { sdp = "v=0", topics = new[] { topic } },
            new { sdp = "v=0", topics = new[] { topic } });
        await _api.AnswerOk(answerer, ids[0]);
        Expect.Ok(await _api.PostCandidates(answerer, ids[0], "[1,2,3]"));
        Expect.Ok(await _api.PostCandidates(offerer, ids[0], "[4]"));
        Expect.Ok(await _api.Delete($"/offers/{ids[1]}", offerer));
        Expect.Ok(await _api.Get("/poll?since=0&wait=1", await _api.Register())); // a poll that waits, then times out

        static long Sum(MetricCollector<long> collector) => collector.GetMeasurementSnapshot().Sum(m => m.Value);
        Assert.Equal(2, Sum(created));
        Assert.Equal(1, Sum(answered));
        Assert.Equal(1, Sum(deleted));
        Assert.Equal(4, Sum(candidates));
        Assert.Equal(1, Sum(active)); // two created, one deleted: the answered one lives on
        Assert.Equal([1L, -1L], waiting.GetMeasurementSnapshot().Select(m => m.Value));

        // The same instruments reach /metrics, beside ASP.NET's and Orleans' own.
        var scraped = await ScrapeAsync();
        foreach (var name in RondevuMetricNames)
        {
            Assert.True(scraped.ContainsKey(name), $"{name} is missing from /metrics; Rondevu metrics present: " +
                string.Join(", ", scraped.Keys.Where(k => k.StartsWith("rondevu", StringComparison.Ordinal))));
        }
        Assert.Contains(scraped.Keys, k => k.StartsWith("http_server_request_duration_seconds", StringComparison.Ordinal));
        Assert.Contains(scraped.Keys, k => k.StartsWith("orleans_", StringComparison.Ordinal));
        Assert.Contains("orleans_catalog_activations", scraped.Keys);
    }

    [Fact]
    public async Task Metrics_are_Prometheus_text()
    {
        using var response = await _api.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", text);
        Assert.Matches(new Regex("^# (HELP|TYPE) ", RegexOptions.Multiline), text);
    }

    [Fact]
    public async Task Liveness_is_200_JSON_without_touching_the_cluster()
    {
        var json = Expect.Ok(await _api.Get("/health/live"));
        Assert.Equal("healthy", json.GetProperty("status").GetString());
        Assert.Empty(json.GetProperty("checks").EnumerateObject());
    }

    [Fact]
    public async Task Readiness_is_200_JSON_when_a_silo_answers()
    {
        var json = Expect.Ok(await _api.Get("/health/ready"));
        Assert.Equal("healthy", json.GetProperty("status").GetString());
        Assert.Equal("healthy", json.GetProperty("checks").GetProperty("cluster").GetString());
    }

    [Fact]
    public async Task The_original_health_route_is_unchanged()
    {
        var json = Expect.Ok(await _api.Get("/health"));
        Expect.Keys(json, "status", "timestamp", "version");
        Assert.Equal("ok", json.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Number, json.GetProperty("timestamp").ValueKind);
    }

    /// <summary>Every sample as name → value, labels dropped and same-name samples summed.</summary>
    private async Task<Dictionary<string, double>> ScrapeAsync()
    {
        var text = await _api.Http.GetStringAsync("/metrics");
        var samples = new Dictionary<string, double>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var match = Regex.Match(line, @"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)");
            if (!match.Success) continue;
            var value = double.TryParse(match.Groups[3].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 0;
            samples[match.Groups[1].Value] = samples.GetValueOrDefault(match.Groups[1].Value) + value;
        }
        return samples;
    }
}
