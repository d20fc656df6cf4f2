namespace Rondevu.Tests.Http;

/// <summary>API.md "Configuration": invalid values stop the process at start with a message naming the variable.</summary>
public sealed class StartupValidationTests
{
    [Theory]
    [InlineData("OFFER_MIN_TTL", "abc")]
    [InlineData("MAX_SDP_SIZE", "-1")]
    [InlineData("AUTH_SECRET", "xyz")]
    [InlineData("AUTH_SECRET", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e")]
    [InlineData("MAX_OFFERS_PER_PEER", "0")]
    [InlineData("MAX_CANDIDATE_SIZE", "4k")]
    [InlineData("OFFER_MAX_TTL", "-5")]
    [InlineData("PORT", "abc")]
    [InlineData("PORT", "70000")]
    public async Task Invalid_setting_stops_the_gateway_at_start_naming_the_variable(string variable, string value)
    {
        var settings = GatewayFactory.IsolatedSettings();
        settings[variable] = value;
        await using var factory = new GatewayFactory(settings);
        factory.UseKestrel();

        var error = Record.Exception(factory.StartServer);

        Assert.NotNull(error);
        var messages = Messages(error).ToArray();
        Assert.True(messages.Any(m => m.Contains(variable, StringComparison.Ordinal)),
            $"no message names {variable}:\n{string.Join("\n", messages)}");
    }

    [Fact]
    public async Task Min_ttl_above_max_ttl_stops_the_gateway_naming_both()
    {
        var settings = GatewayFactory.IsolatedSettings();
        settings["OFFER_MIN_TTL"] = "100000";
        settings["OFFER_MAX_TTL"] = "50000";
        await using var factory = new GatewayFactory(settings);
        factory.UseKestrel();

        var error = Record.Exception(factory.StartServer);

        Assert.NotNull(error);
        var text = string.Join("\n", Messages(error));
        Assert.Contains("OFFER_MIN_TTL", text);
        Assert.Contains("OFFER_MAX_TTL", text);
    }

    private static IEnumerable<string> Messages(Exception error)
    {
        var pending = new Stack<Exception>([error]);
        while (pending.TryPop(out var current))
        {
            yield return current.Message;
            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions) pending.Push(inner);
            }
            else if (current.InnerException is not null)
            {
                pending.Push(current.InnerException);
            }
        }
    }
}
