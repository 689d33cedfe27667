using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkAgents.Prompts.Tests;

public class HandlebarsTemplateTests
{
    private const string Hbs = PromptTemplateConfig.HandlebarsTemplateFormat;

    [Fact]
    public async Task Substitutes_variables_and_defaults()
    {
        var text = await TestData.Render("{{greeting}}, {{name}}!", new AIFunctionArguments { ["name"] = "Ada" }, Hbs,
            variables: [new InputVariable { Name = "greeting", Default = "Hello" }, new InputVariable { Name = "name" }]);

        Assert.Equal("Hello, Ada!", text);
    }

    [Fact]
    public async Task A_missing_variable_renders_empty()
    {
        Assert.Equal("[]", await TestData.Render("[{{nothing}}]", format: Hbs));
    }

    [Fact]
    public async Task A_missing_declared_variable_is_logged()
    {
        using var logs = new SkAgents.Testing.RecordingLoggerFactory();

        var text = await TestData.Render("[{{topic}}]", format: Hbs, options: new PromptTemplateOptions { LoggerFactory = logs }, variables: new InputVariable { Name = "topic" });

        Assert.Equal("[]", text);
        Assert.Contains(logs.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning && e.Message.Contains("topic", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Functions_receive_only_declared_variables_and_the_callers_services()
    {
        AIFunctionArguments? received = null;
        var probe = AIFunctionFactory.Create((string city, AIFunctionArguments all) =>
        {
            received = all;
            return city;
        }, "geo_probe");
        var services = new TestServices();

        var text = await TestData.Render("{{geo-probe}}", new AIFunctionArguments { ["city"] = "Lima", ["secret"] = "x", Services = services }, Hbs, [probe]);

        Assert.Equal("Lima", text);
        Assert.False(received!.ContainsKey("secret"));
        Assert.Same(services, received.Services);
    }

    [Fact]
    public async Task Supports_each_if_and_the_add_helper()
    {
        var text = await TestData.Render(
            "{{#each items}}{{add @index 1}}. {{this}}{{#unless @last}}, {{/unless}}{{/each}}{{#if extra}} +{{extra}}{{/if}}",
            new AIFunctionArguments { ["items"] = new[] { "a", "b", "c" } },
            Hbs);

        Assert.Equal("1. a, 2. b, 3. c", text);
    }

    [Fact]
    public async Task Registers_math_add_for_semantic_kernel_compatibility()
    {
        Assert.Equal("5 2.5", await TestData.Render("{{[Math.Add] 2 3}} {{add 1 1.5}}", format: Hbs));
    }

    [Fact]
    public async Task Walks_json_objects_and_arrays()
    {
        var sources = JsonDocument.Parse("""[{"title":"One","n":1},{"title":"Two","n":2.5}]""").RootElement;

        var text = await TestData.Render("{{#each sources}}{{title}}={{n}};{{/each}}", new AIFunctionArguments { ["sources"] = sources }, Hbs);

        Assert.Equal("One=1;Two=2.5;", text);
    }

    [Fact]
    public async Task Parses_json_text_given_for_an_array_variable()
    {
        var variable = new InputVariable { Name = "items", JsonSchema = """{"type":"array"}""" };

        var text = await TestData.Render("{{#each items}}<{{name}}>{{/each}}", new AIFunctionArguments { ["items"] = """[{"name":"x"},{"name":"y"}]""" }, Hbs,
            options: new PromptTemplateOptions { AllowDangerouslySetContent = true }, variables: variable);

        Assert.Equal("<x><y>", text);
    }

    [Theory]
    [InlineData("just one")]
    [InlineData("[draft] not json")]
    public async Task Treats_plain_text_given_for_an_array_variable_as_a_list_of_one(string value)
    {
        var variable = new InputVariable { Name = "items", JsonSchema = """{"type":"array"}""" };

        var text = await TestData.Render("{{#each items}}({{this}}){{/each}}", new AIFunctionArguments { ["items"] = value }, Hbs, variables: variable);

        Assert.Equal($"({value})", text);
    }

    [Fact]
    public async Task Leaves_json_looking_text_alone_for_string_variables()
    {
        var variable = new InputVariable { Name = "raw", JsonSchema = """{"type":"string"}""" };

        var text = await TestData.Render("{{raw}}", new AIFunctionArguments { ["raw"] = "[1,2]" }, Hbs, variables: variable);

        Assert.Equal("[1,2]", text);
    }

    [Fact]
    public async Task Calls_functions_as_plugin_dash_function_helpers_and_by_tool_name()
    {
        var weather = AIFunctionFactory.Create((string city, int days) => $"{city}:{days}", "weather_get");

        var text = await TestData.Render("{{weather-get \"Rome\" 3}} {{weather_get city=\"Oslo\" days=2}}", format: Hbs, functions: [weather]);

        Assert.Equal("Rome:3 Oslo:2", text);
    }

    [Fact]
    public async Task Functions_get_declared_variables_and_decoded_arguments()
    {
        var echo = AIFunctionFactory.Create((string text, string city) => $"{text}|{city}", "text_echo");

        var text = await TestData.Render("{{text-echo value}}", new AIFunctionArguments { ["value"] = "a < b & c", ["city"] = "Zürich" }, Hbs, functions: [echo],
            options: new PromptTemplateOptions());

        Assert.Equal("a &lt; b &amp; c|Zürich", text);
    }

    [Fact]
    public async Task Too_many_positional_arguments_is_a_template_error()
    {
        var one = AIFunctionFactory.Create((string a) => a, "one_arg");

        var ex = await Assert.ThrowsAsync<PromptTemplateException>(() => TestData.Render("{{one-arg 'x' 'y'}}", format: Hbs, functions: [one]));

        Assert.Contains("takes 1 argument", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_helper_is_a_template_error()
    {
        await Assert.ThrowsAsync<PromptTemplateException>(() => TestData.Render("{{no-such-helper 'x'}}", format: Hbs));
    }

    [Fact]
    public void A_malformed_template_fails_when_compiled()
    {
        var ex = Assert.Throws<PromptTemplateException>(() => PromptTemplateFactory.Create(TestData.Config("{{#each items}}never closed", Hbs)));

        Assert.Contains("malformed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Honours_cancellation_in_functions()
    {
        using var cts = new CancellationTokenSource();
        var cancel = AIFunctionFactory.Create((CancellationToken ct) =>
        {
            cts.Cancel();
            ct.ThrowIfCancellationRequested();
            return "never";
        }, "cancel_now");
        var template = PromptTemplateFactory.Create(TestData.Config("{{cancel-now}}", Hbs), [cancel]);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => template.RenderAsync(null, cts.Token).AsTask());
    }

    [Fact]
    public async Task Renders_numbers_invariantly()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("fr-FR");
        try
        {
            Assert.Equal("2.5", await TestData.Render("{{n}}", new AIFunctionArguments { ["n"] = 2.5 }, Hbs));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }
}
