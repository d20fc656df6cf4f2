using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
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
    public async Task Metrics_count_what_the_grains_did_next_to_HTTP_and_Orleans_metrics()
    {
        var before = await ScrapeAsync();

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

        // The exporter caches a scrape briefly; read until the new counts show (every test of this process
        // shares the static meter, so the counts only ever grow by at least what this test did).
        Dictionary<string, double> after = [];
        for (var attempt = 0; attempt < 50; attempt++)
        {
            after = await ScrapeAsync();
            if (Delta("rondevu_offers_deleted_total") >= 1 && Delta("rondevu_ice_candidates_posted_total") >= 4) break;
            await Task.Delay(100);
        }
        double Delta(string name) => after.GetValueOrDefault(name) - before.GetValueOrDefault(name);

        foreach (var name in RondevuMetricNames)
        {
            Assert.True(after.ContainsKey(name), $"{name} is missing from /metrics; Rondevu metrics present: " +
                string.Join(", ", after.Keys.Where(k => k.StartsWith("rondevu", StringComparison.Ordinal))));
        }
        Assert.True(Delta("rondevu_offers_created_total") >= 2, $"created +{Delta("rondevu_offers_created_total")}");
        Assert.True(Delta("rondevu_offers_answered_total") >= 1, $"answered +{Delta("rondevu_offers_answered_total")}");
        Assert.True(Delta("rondevu_offers_deleted_total") >= 1, $"deleted +{Delta("rondevu_offers_deleted_total")}");
        Assert.True(Delta("rondevu_ice_candidates_posted_total") >= 4, $"candidates +{Delta("rondevu_ice_candidates_posted_total")}");
        Assert.True(after["rondevu_offers_active"] >= 1, "the answered offer is still active");
        Assert.True(after["rondevu_topics_active"] >= 0);

        Assert.Contains(after.Keys, k => k.StartsWith("http_server_request_duration_seconds", StringComparison.Ordinal));
        Assert.Contains(after.Keys, k => k.StartsWith("orleans_", StringComparison.Ordinal));
        Assert.Contains("orleans_catalog_activations", after.Keys);
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
