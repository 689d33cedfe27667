using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using SkAgents.Testing;

namespace SkAgents.Prompts.Tests;

public class SemanticKernelTemplateTests
{
    [Fact]
    public async Task Substitutes_variables()
    {
        var text = await TestData.Render("Hello {{$name}}, you are {{ $age }}.", new AIFunctionArguments { ["name"] = "Ada", ["age"] = 36 });

        Assert.Equal("Hello Ada, you are 36.", text);
    }

    [Fact]
    public async Task A_missing_variable_renders_empty_and_is_logged()
    {
        using var logs = new RecordingLoggerFactory();

        var text = await TestData.Render("[{{$nothing}}]", options: new PromptTemplateOptions { LoggerFactory = logs });

        Assert.Equal("[]", text);
        var warning = Assert.Single(logs.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("nothing", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uses_defaults_and_lets_arguments_override_them_case_insensitively()
    {
        var variable = new InputVariable { Name = "Tone", Default = "friendly" };

        var withDefault = await TestData.Render("{{$tone}}", variables: variable);
        var overridden = await TestData.Render("{{$tone}}", new AIFunctionArguments { ["TONE"] = "dry" }, variables: variable);
        var nullIgnored = await TestData.Render("{{$tone}}", new AIFunctionArguments { ["tone"] = null }, variables: variable);

        Assert.Equal("friendly", withDefault);
        Assert.Equal("dry", overridden);
        Assert.Equal("friendly", nullIgnored);
    }

    [Fact]
    public async Task Renders_non_string_values_invariantly()
    {
        using var culture = new CultureScope("de-DE");

        var text = await TestData.Render("{{$d}} {{$b}} {{$list}} {{$json}}", new AIFunctionArguments
        {
            ["d"] = 1.5,
            ["b"] = true,
            ["list"] = new List<int> { 1, 2 },
            ["json"] = System.Text.Json.JsonDocument.Parse("\"text\"").RootElement,
        }, options: new PromptTemplateOptions { AllowDangerouslySetContent = true });

        Assert.Equal("1.5 true [1,2] text", text);
    }

    [Theory]
    [InlineData("{{'it\\'s'}}", "it's")]
    [InlineData("{{\"say \\\"hi\\\"\"}}", "say \"hi\"")]
    [InlineData("{{'back\\\\slash'}}", "back\\slash")]
    [InlineData("{{'a }} b'}}", "a }} b")]
    [InlineData("{{ \"double\" }}", "double")]
    public async Task Renders_quoted_values_with_escapes(string template, string expected)
    {
        var text = await TestData.Render(template, options: new PromptTemplateOptions { AllowDangerouslySetContent = true });

        Assert.Equal(expected, text);
    }

    [Theory]
    [InlineData("Unclosed {{$name")]
    [InlineData("Empty {{ }} block")]
    [InlineData("Single { braces } stay")]
    public async Task Leaves_non_blocks_as_text(string template)
    {
        Assert.Equal(template, await TestData.Render(template, new AIFunctionArguments { ["name"] = "x" }));
    }

    [Theory]
    [InlineData("{{$}}", 2, "must have a name")]
    [InlineData("ab {{$a b}}", 8, "Unexpected content after the variable")]
    [InlineData("{{'a' 'b'}}", 6, "Unexpected content after the value")]
    [InlineData("{{f 'a' 'b'}}", 8, "one positional argument")]
    [InlineData("{{f x='a' 'b'}}", 10, "one positional argument")]
    [InlineData("{{f name=}}", 9, "must be a variable")]
    [InlineData("{{f name=plain}}", 9, "must be a variable")]
    [InlineData("{{'unterminated}}", 2, "not closed")]
    [InlineData("{{$na-me}}", 2, "variable name 'na-me' is invalid")]
    [InlineData("{{x='1'}}", 2, "must follow a function name")]
    [InlineData("{{a.b.c}}", 2, "not a valid function name")]
    [InlineData("{{f 'a'b}}", 7, "followed by a space")]
    [InlineData("{{f g}}", 4, "cannot take another function call")]
    [InlineData("{{f a='1' a='2'}}", 10, "given more than once")]
    public void Rejects_malformed_blocks_with_their_position(string template, int position, string problem)
    {
        var ex = Assert.Throws<PromptTemplateException>(() => PromptTemplateFactory.Create(TestData.Config(template)));

        Assert.Equal(position, ex.Position);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, ex.Line);
        Assert.Equal(position + 1, ex.Column);
    }

    [Fact]
    public void Reports_line_and_column_of_a_malformed_block_on_a_later_line()
    {
        var ex = Assert.Throws<PromptTemplateException>(() => PromptTemplateFactory.Create(TestData.Config("line one\nline two {{$}}")));

        Assert.Equal(20, ex.Position);
        Assert.Equal(2, ex.Line);
        Assert.Equal(12, ex.Column);
        Assert.Contains("line 2, column 12", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Calls_plugin_functions_by_tool_name()
    {
        var now = AIFunctionFactory.Create(() => "12:00", "time_now");

        var text = await TestData.Render("It is {{time.now}}.", functions: [now]);

        Assert.Equal("It is 12:00.", text);
    }

    [Fact]
    public async Task Calls_a_bare_function_name()
    {
        var hello = AIFunctionFactory.Create(() => "hi", "hello");

        Assert.Equal("hi!", await TestData.Render("{{hello}}!", functions: [hello]));
    }

    [Fact]
    public async Task Passes_a_positional_variable_or_value_to_the_first_parameter()
    {
        var upper = AIFunctionFactory.Create((string text) => text.ToUpperInvariant(), "text_upper");

        var fromVariable = await TestData.Render("{{text.upper $who}}", new AIFunctionArguments { ["who"] = "ada" }, functions: [upper]);
        var fromValue = await TestData.Render("{{text.upper 'grace'}}", functions: [upper]);

        Assert.Equal("ADA", fromVariable);
        Assert.Equal("GRACE", fromValue);
    }

    [Fact]
    public async Task Passes_named_arguments()
    {
        var weather = AIFunctionFactory.Create((string city, string unit) => $"{city} in {unit}", "weather_get");

        var text = await TestData.Render("{{weather.get $place unit='celsius'}} / {{weather.get city=\"Oslo\" unit=$u}}", new AIFunctionArguments { ["place"] = "Rome", ["u"] = "kelvin" }, functions: [weather]);

        Assert.Equal("Rome in celsius / Oslo in kelvin", text);
    }

    [Fact]
    public async Task Functions_receive_only_the_variables_they_declare_and_the_callers_services()
    {
        AIFunctionArguments? received = null;
        var probe = AIFunctionFactory.Create((string city, AIFunctionArguments all) =>
        {
            received = all;
            return city;
        }, "probe");
        var services = new TestServices();

        var text = await TestData.Render("{{probe}}", new AIFunctionArguments { ["city"] = "Paris", ["secret"] = "s3cr3t", Services = services }, functions: [probe]);

        Assert.Equal("Paris", text);
        Assert.NotNull(received);
        Assert.False(received!.ContainsKey("secret"));
        Assert.Same(services, received.Services);
    }

    [Fact]
    public async Task A_missing_function_names_the_position_and_the_available_functions()
    {
        var one = AIFunctionFactory.Create(() => 1, "math_one");

        var ex = await Assert.ThrowsAsync<PromptTemplateException>(() => TestData.Render("Result: {{math.two}}", functions: [one]));

        Assert.Equal(10, ex.Position);
        Assert.Contains("'math.two'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("math_one", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Passing_an_argument_to_a_function_without_parameters_is_an_error()
    {
        var now = AIFunctionFactory.Create(() => "now", "time_now");

        var ex = await Assert.ThrowsAsync<PromptTemplateException>(() => TestData.Render("{{time.now 'x'}}", functions: [now]));

        Assert.Contains("takes no arguments", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Renders_structured_function_results_as_json()
    {
        var data = AIFunctionFactory.Create(() => new[] { 1, 2, 3 }, "data_list");

        var text = await TestData.Render("{{data.list}}", functions: [data]);

        Assert.Equal("[1,2,3]", text);
    }

    [Fact]
    public async Task Honours_cancellation()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var template = PromptTemplateFactory.Create(TestData.Config("{{$x}}"));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => template.RenderAsync(new AIFunctionArguments(), cts.Token).AsTask());
    }

    [Fact]
    public async Task Cancellation_reaches_template_functions()
    {
        using var cts = new CancellationTokenSource();
        var slow = AIFunctionFactory.Create(async (CancellationToken ct) =>
        {
            await cts.CancelAsync();
            ct.ThrowIfCancellationRequested();
            return "never";
        }, "slow_call");
        var template = PromptTemplateFactory.Create(TestData.Config("{{slow.call}}"), [slow]);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => template.RenderAsync(null, cts.Token).AsTask());
    }

    [Fact]
    public void An_unknown_template_format_is_a_configuration_error()
    {
        var ex = Assert.Throws<PromptConfigurationException>(() => PromptTemplateFactory.Create(TestData.Config("x", "liquid")));

        Assert.Contains("Unknown template_format 'liquid'", ex.Message, StringComparison.Ordinal);
    }

    private sealed class CultureScope : IDisposable
    {
        private readonly System.Globalization.CultureInfo _previous = System.Globalization.CultureInfo.CurrentCulture;

        public CultureScope(string name) => System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo(name);

        public void Dispose() => System.Globalization.CultureInfo.CurrentCulture = _previous;
    }
}
