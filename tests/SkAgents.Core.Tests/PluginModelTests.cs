using System.ComponentModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.Plugins;

namespace SkAgents.Core.Tests;

public enum Unit
{
    Celsius,
    Fahrenheit,
}

public interface IGreetingStore
{
    string Prefix { get; }
}

public sealed class GreetingStore(string prefix) : IGreetingStore
{
    public string Prefix { get; } = prefix;
}

[Description("Weather tools for tests.")]
public sealed class WeatherPlugin
{
    public int Calls { get; private set; }

    [ReadOnlyTool]
    [Description("Gets the temperature of a city.")]
    public string GetTemperatureAsync(
        [Description("The city name.")] string city,
        [Description("The unit.")] Unit unit = Unit.Celsius,
        int days = 1,
        CancellationToken cancellationToken = default)
    {
        Calls++;
        return $"{city}:{unit}:{days}:{cancellationToken.CanBeCanceled}";
    }

    [PluginFunction("greet")]
    [Description("Greets someone.")]
    public static string SayHello(string name, [FromServices] IGreetingStore store) => $"{store.Prefix} {name}";

    [Description("Deletes a city.")]
    [SideEffect("Deletes a city from the forecast list.")]
    public string DeleteCity(string city) => "deleted " + city;

    // Not a plugin function: no [Description] and no [PluginFunction].
    public static string Helper() => "nope";
}

public sealed class ContradictoryPlugin
{
    [ReadOnlyTool]
    [SideEffect("Writes.")]
    [Description("Both.")]
    public static string Both() => string.Empty;
}

public sealed class NoFunctions
{
    public static string Nothing() => string.Empty;
}

public class PluginModelTests
{
    private static AgentPlugin Weather(out WeatherPlugin instance)
    {
        instance = new WeatherPlugin();
        return AgentPlugin.FromObject(instance);
    }

    [Fact]
    public void FromObject_names_plugin_and_tools_in_snake_case_with_plugin_prefix()
    {
        var plugin = Weather(out _);

        Assert.Equal("weather", plugin.Name);
        Assert.Equal("Weather tools for tests.", plugin.Description);
        Assert.Equal(["weather_delete_city", "weather_get_temperature", "weather_greet"], plugin.Functions.Select(f => f.Name));
        Assert.All(plugin.Functions, f => Assert.True(ToolNames.IsValidFunctionName(f.Name)));
        Assert.Equal("weather", plugin.Functions[0].GetPluginName());
    }

    [Fact]
    public void Schema_has_descriptions_defaults_enums_and_required_but_hides_host_parameters()
    {
        var function = Weather(out _).Functions.Single(f => f.Name == "weather_get_temperature");
        var schema = function.JsonSchema;

        Assert.Equal("Gets the temperature of a city.", function.Description);
        var properties = schema.GetProperty("properties");
        Assert.Equal(["city", "unit", "days"], properties.EnumerateObject().Select(p => p.Name));
        Assert.Equal("The city name.", properties.GetProperty("city").GetProperty("description").GetString());
        Assert.Equal(["Celsius", "Fahrenheit"], properties.GetProperty("unit").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("Celsius", properties.GetProperty("unit").GetProperty("default").GetString());
        Assert.Equal(1, properties.GetProperty("days").GetProperty("default").GetInt32());
        Assert.Equal(["city"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));

        var greet = Weather(out _).Functions.Single(f => f.Name == "weather_greet");
        Assert.Equal(["name"], greet.JsonSchema.GetProperty("properties").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Invocation_binds_json_arguments_and_cancellation_token()
    {
        var function = Weather(out var instance).Functions.Single(f => f.Name == "weather_get_temperature");
        using var cts = new CancellationTokenSource();
        var arguments = new AIFunctionArguments(new Dictionary<string, object?>
        {
            ["city"] = JsonDocument.Parse("\"Rome\"").RootElement,
            ["unit"] = "Fahrenheit",
            ["days"] = JsonDocument.Parse("3").RootElement,
        });

        var result = await function.InvokeAsync(arguments, cts.Token);

        Assert.Equal("Rome:Fahrenheit:3:True", ((JsonElement)result!).GetString());
        Assert.Equal(1, instance.Calls);
    }

    [Fact]
    public async Task FromServices_parameter_resolves_from_invocation_services_and_fails_clearly_when_missing()
    {
        var greet = Weather(out _).Functions.Single(f => f.Name == "weather_greet");
        var services = new SingleServiceProvider(typeof(IGreetingStore), new GreetingStore("Ciao"));

        var result = await greet.InvokeAsync(new AIFunctionArguments { ["name"] = "Ada", Services = services });
        Assert.Equal("Ciao Ada", ((JsonElement)result!).GetString());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await greet.InvokeAsync(new AIFunctionArguments { ["name"] = "Ada" }));
        Assert.Contains("weather_greet", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(IGreetingStore), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FromServices_falls_back_to_the_plugin_options_services()
    {
        var plugin = AgentPlugin.FromObject(new WeatherPlugin(), options: new AgentPluginOptions
        {
            Services = new SingleServiceProvider(typeof(IGreetingStore), new GreetingStore("Hi")),
        });

        var result = await plugin.Functions.Single(f => f.Name == "weather_greet").InvokeAsync(new AIFunctionArguments { ["name"] = "Bo" });

        Assert.Equal("Hi Bo", ((JsonElement)result!).GetString());
    }

    [Fact]
    public async Task SideEffect_functions_require_approval_and_still_invoke()
    {
        var plugin = Weather(out _);
        var delete = plugin.Functions.Single(f => f.Name == "weather_delete_city");

        Assert.True(delete.RequiresApproval());
        Assert.IsType<ApprovalRequiredAIFunction>(delete);
        Assert.Equal("Deletes a city from the forecast list.", delete.GetSideEffect());
        Assert.False(plugin.Functions.Single(f => f.Name == "weather_get_temperature").RequiresApproval());

        var result = await delete.InvokeAsync(new AIFunctionArguments { ["city"] = "Oslo" });
        Assert.Equal("deleted Oslo", ((JsonElement)result!).GetString());
    }

    [Fact]
    public void ReadOnlyTool_functions_are_marked_read_only_and_others_are_not_assumed_to_be()
    {
        var plugin = Weather(out _);

        Assert.True(plugin.Functions.Single(f => f.Name == "weather_get_temperature").IsReadOnly());
        Assert.False(plugin.Functions.Single(f => f.Name == "weather_greet").IsReadOnly());
        Assert.False(plugin.Functions.Single(f => f.Name == "weather_delete_city").IsReadOnly());
    }

    [Fact]
    public void A_function_cannot_be_both_read_only_and_side_effecting()
    {
        var error = Assert.Throws<ArgumentException>(() => AgentPlugin.FromObject(new ContradictoryPlugin()));

        Assert.Contains("contradictory_both", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Explicit_plugin_name_is_validated()
    {
        Assert.Equal("wx", AgentPlugin.FromObject(new WeatherPlugin(), "wx").Name);
        var error = Assert.Throws<ArgumentException>(() => AgentPlugin.FromObject(new WeatherPlugin(), "bad name!"));
        Assert.Contains("bad name!", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => AgentPlugin.FromObject(new WeatherPlugin(), "with-dash"));
    }

    [Fact]
    public void Type_without_plugin_functions_is_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => AgentPlugin.FromObject(new NoFunctions()));
        Assert.Contains("no public methods marked [Description]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FromFunctions_prefixes_and_sanitizes_names_and_keeps_approval()
    {
        var search = AIFunctionFactory.Create((string q) => "found " + q, "github.search/issues", "Searches issues.");
        var post = new ApprovalRequiredAIFunction(AIFunctionFactory.Create((string text) => text, "post", "Posts."));
        var already = AIFunctionFactory.Create(() => 1, "mcp_ping", "Pings.");

        var plugin = AgentPlugin.FromFunctions("mcp", "External tools.", [search, post, already]);

        Assert.Equal(["mcp_github_search_issues", "mcp_post", "mcp_ping"], plugin.Functions.Select(f => f.Name));
        Assert.True(plugin.Functions[1].RequiresApproval());
        Assert.False(plugin.Functions[0].RequiresApproval());
        Assert.Equal("Searches issues.", plugin.Functions[0].Description);
        var result = await plugin.Functions[0].InvokeAsync(new AIFunctionArguments { ["q"] = "bug" });
        Assert.Equal("found bug", ((JsonElement)result!).GetString());
    }

    [Fact]
    public void FromFunctions_rejects_functions_that_collide_after_sanitizing()
    {
        var a = AIFunctionFactory.Create(() => 1, "a.b", "x");
        var b = AIFunctionFactory.Create(() => 2, "a/b", "y");
        var error = Assert.Throws<ArgumentException>(() => AgentPlugin.FromFunctions("p", null, [a, b]));
        Assert.Contains("p_a_b", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ReadFileAsync", "read_file")]
    [InlineData("Now", "now")]
    [InlineData("GetHTMLPage", "get_html_page")]
    [InlineData("Top10Items", "top10_items")]
    [InlineData("already_snake", "already_snake")]
    [InlineData("Async", "async")]
    public void ToSnakeCase_converts_identifiers(string input, string expected) =>
        Assert.Equal(expected, ToolNames.ToSnakeCase(input));

    [Fact]
    public void Combine_enforces_semantic_kernel_rules_and_length()
    {
        Assert.Equal("files_read", ToolNames.Combine("files", "read"));
        Assert.Equal("files_read-all", ToolNames.Combine("files", "read-all"));
        Assert.Throws<ArgumentException>(() => ToolNames.Combine("files", "read.all"));
        var tooLong = Assert.Throws<ArgumentException>(() => ToolNames.Combine("p", new string('x', 64)));
        Assert.Contains("64", tooLong.Message, StringComparison.Ordinal);
        Assert.Equal("a_b_c-d", ToolNames.Sanitize("a.b/c-d"));
    }

    [Fact]
    public void Catalog_lists_tools_and_rejects_duplicates()
    {
        var catalog = new PluginCatalog([Weather(out _)]);
        catalog.Add(AgentPlugin.FromFunctions("other", null, [AIFunctionFactory.Create(() => 1, "ping", "Pings.")]));

        Assert.Equal(2, catalog.Count);
        Assert.Equal(4, catalog.Tools.Count);
        Assert.True(catalog.TryGetTool("WEATHER_GREET", out var greet));
        Assert.Equal("weather_greet", greet.Name);
        Assert.True(catalog.TryGetPlugin("other", out _));
        Assert.False(catalog.TryGetTool("nope", out _));

        var dupPlugin = Assert.Throws<ArgumentException>(() => catalog.Add(Weather(out _)));
        Assert.Contains("'weather' is already registered", dupPlugin.Message, StringComparison.Ordinal);

        // A different plugin whose tool name collides ("weather" + "_greet" vs "weather_greet" from FromFunctions with plugin "weather_x"? no: same tool name).
        var clash = AgentPlugin.FromFunctions("weather_x", null, [AIFunctionFactory.Create(() => 1, "y", "")]);
        catalog.Add(clash);
        var clashing = AgentPlugin.FromFunctions("weather", null, [AIFunctionFactory.Create(() => 1, "x_y", "")]);
        var toolClash = Assert.Throws<ArgumentException>(() => new PluginCatalog([clash, clashing]));
        Assert.Contains("weather_x_y", toolClash.Message, StringComparison.Ordinal);
    }

    private sealed class SingleServiceProvider(Type type, object instance) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == type ? instance : null;
    }
}
