using System.ComponentModel;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using SkAgents.Mcp.AspNetCore;
using SkAgents.Mcp.Server;
using SkAgents.Plugins;

namespace SkAgents.Mcp.Tests;

/// <summary>A plugin with object and array parameters, to check the served schemas and argument binding.</summary>
[Description("Trip planning for tests.")]
public sealed class TripPlugin
{
    /// <summary>A stop on a trip.</summary>
    public sealed record TripStop(string City, int Nights);

    [ReadOnlyTool]
    [Description("Plans a trip through the given stops.")]
    public string Plan(
        [Description("The stops, in order.")] IReadOnlyList<TripStop> stops,
        [Description("Options such as the budget.")] Dictionary<string, int> limits,
        [Description("Travellers' names.")] string[] travellers) =>
        $"{string.Join(" > ", stops.Select(s => $"{s.City}x{s.Nights}"))} for {string.Join("+", travellers)} within {limits["budget"]}";

    [Description("Books a stop.")]
    [SideEffect("Books and pays for a hotel.")]
    public string Book(TripStop stop) => $"booked {stop.City}";
}

/// <summary>The catalog served in process over streamable HTTP: schemas keep object and array types; arguments bind.</summary>
public sealed class ServerSchemaTests : IAsyncLifetime
{
    private McpHttpServer _server = null!;
    private McpClient _client = null!;

    public async Task InitializeAsync()
    {
        var catalog = new PluginCatalog([AgentPlugin.FromObject(new TripPlugin())]);
        _server = await McpHttpServer.StartAsync(() => SkAgentsMcpServer.CreateServerOptions(catalog), new McpHttpServerOptions { Port = 0 });
        _client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = _server.Endpoint, TransportMode = HttpTransportMode.StreamableHttp }));
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Object_and_array_parameters_keep_their_types_in_the_served_schema()
    {
        var plan = (await _client.ListToolsAsync()).Single(t => t.Name == "trip_plan");
        var properties = plan.JsonSchema.GetProperty("properties");

        var stops = properties.GetProperty("stops");
        Assert.Equal("array", stops.GetProperty("type").GetString());
        var stop = stops.GetProperty("items");
        Assert.Equal("object", stop.GetProperty("type").GetString());
        Assert.Equal("integer", stop.GetProperty("properties").GetProperty("nights").GetProperty("type").GetString());
        Assert.Equal("object", properties.GetProperty("limits").GetProperty("type").GetString());
        Assert.Equal("array", properties.GetProperty("travellers").GetProperty("type").GetString());
        Assert.True(plan.ProtocolTool.Annotations?.ReadOnlyHint);
    }

    [Fact]
    public async Task Structured_arguments_bind_to_the_plugin_method()
    {
        var arguments = new Dictionary<string, object?>
        {
            ["stops"] = JsonDocument.Parse("""[{"city":"Rome","nights":2},{"city":"Oslo","nights":3}]""").RootElement,
            ["limits"] = new Dictionary<string, int> { ["budget"] = 900 },
            ["travellers"] = new[] { "Ada", "Bo" },
        };

        var result = await _client.CallToolAsync("trip_plan", arguments);

        Assert.NotEqual(true, result.IsError);
        Assert.Contains("Romex2 > Oslox3 for Ada+Bo within 900", string.Join("", result.Content.OfType<TextContentBlock>().Select(b => b.Text)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Arguments_of_the_wrong_shape_give_an_error_result_not_a_crash()
    {
        var result = await _client.CallToolAsync("trip_plan", new Dictionary<string, object?> { ["stops"] = "Rome", ["limits"] = 3, ["travellers"] = "Ada" });

        Assert.True(result.IsError);
        Assert.Contains("trip_plan", string.Join("", result.Content.OfType<TextContentBlock>().Select(b => b.Text)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_side_effect_tool_is_refused_for_a_client_without_elicitation()
    {
        var result = await _client.CallToolAsync("trip_book", new Dictionary<string, object?> { ["stop"] = new Dictionary<string, object> { ["city"] = "Rome", ["nights"] = 1 } });

        Assert.True(result.IsError);
        Assert.Contains("Books and pays for a hotel", string.Join("", result.Content.OfType<TextContentBlock>().Select(b => b.Text)), StringComparison.Ordinal);
    }
}
