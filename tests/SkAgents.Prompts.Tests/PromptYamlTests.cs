using System.Text;
using System.Text.Json;

namespace SkAgents.Prompts.Tests;

public class PromptYamlTests
{
    private const string FullYaml = """
        name: full
        description: Every key of the schema.
        template_format: handlebars
        template: |
          Hello {{name}}
        input_variables:
          - name: who
            description: The person.
            default: World
            is_required: false
            json_schema: '{"type": "string"}'
            sample: Ada
            allow_dangerously_set_content: true
          - name: count
            default: 3
            json_schema:
              type: integer
              minimum: 1
        output_variable:
          description: A greeting.
          json_schema: '{"type": "string"}'
        execution_settings:
          default:
            temperature: 0.5
            max_tokens: 100
            quoted: "0.5"
            flag: true
            stop_sequences: [END, STOP]
          azure:
            service_id: azure
            model_id: gpt-4o
            function_choice_behavior:
              type: required
              functions: [time.now]
              options:
                allow_parallel_calls: false
        allow_dangerously_set_content: true
        """;

    [Fact]
    public void Parses_every_key_of_the_schema()
    {
        var config = PromptYaml.Parse(FullYaml, "full.yaml");

        Assert.Equal("full", config.Name);
        Assert.Equal("Every key of the schema.", config.Description);
        Assert.Equal(PromptTemplateConfig.HandlebarsTemplateFormat, config.TemplateFormat);
        Assert.Equal("Hello {{name}}\n", config.Template);
        Assert.True(config.AllowDangerouslySetContent);

        var who = config.InputVariables[0];
        Assert.Equal("who", who.Name);
        Assert.Equal("The person.", who.Description);
        Assert.Equal("World", who.Default);
        Assert.False(who.IsRequired);
        Assert.Equal("""{"type": "string"}""", who.JsonSchema);
        Assert.Equal("Ada", who.Sample);
        Assert.True(who.AllowDangerouslySetContent);

        var count = config.InputVariables[1];
        Assert.Equal(3L, count.Default);
        Assert.True(count.IsRequired);
        Assert.False(count.MustBeSupplied);
        using (var schema = JsonDocument.Parse(count.JsonSchema!))
        {
            Assert.Equal("integer", schema.RootElement.GetProperty("type").GetString());
            Assert.Equal(1, schema.RootElement.GetProperty("minimum").GetInt32());
        }

        Assert.Equal("A greeting.", config.OutputVariable!.Description);
        Assert.Equal("""{"type": "string"}""", config.OutputVariable.JsonSchema);

        var defaults = config.ExecutionSettings["default"];
        Assert.Null(defaults.ServiceId);
        Assert.Equal(0.5, defaults.ExtensionData["temperature"]);
        Assert.Equal(100L, defaults.ExtensionData["max_tokens"]);
        Assert.Equal("0.5", defaults.ExtensionData["quoted"]);
        Assert.Equal(true, defaults.ExtensionData["flag"]);
        Assert.Equal(["END", "STOP"], Assert.IsType<List<object?>>(defaults.ExtensionData["stop_sequences"]));

        var azure = config.ExecutionSettings["azure"];
        Assert.Equal("azure", azure.ServiceId);
        Assert.Equal("gpt-4o", azure.ModelId);
        Assert.Equal("required", azure.FunctionChoiceBehavior!.Type);
        Assert.Equal(["time.now"], azure.FunctionChoiceBehavior.Functions!);
        Assert.Equal(false, azure.FunctionChoiceBehavior.Options["allow_parallel_calls"]);
        Assert.Empty(azure.ExtensionData);
    }

    [Fact]
    public void Applies_semantic_kernel_defaults()
    {
        var config = PromptYaml.Parse("""
            name: minimal
            template: Hi {{$who}}
            input_variables:
              - name: who
            """);

        Assert.Equal(PromptTemplateConfig.SemanticKernelTemplateFormat, config.TemplateFormat);
        Assert.Null(config.Description);
        Assert.False(config.AllowDangerouslySetContent);
        Assert.Empty(config.ExecutionSettings);
        var who = Assert.Single(config.InputVariables);
        Assert.True(who.IsRequired);
        Assert.True(who.MustBeSupplied);
        Assert.False(who.AllowDangerouslySetContent);
    }

    [Fact]
    public void Takes_the_file_stem_when_the_yaml_has_no_name()
    {
        var config = PromptYaml.Parse("template: Hi", Path.Combine("some", "dir", "my-prompt.yaml"));

        Assert.Equal("my-prompt", config.Name);
    }

    [Fact]
    public void Requires_a_name_when_there_is_no_source()
    {
        var ex = Assert.Throws<PromptConfigurationException>(() => PromptYaml.Parse("template: Hi"));

        Assert.Contains("no 'name'", ex.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("name: p\ntemplate: x\nbogus: 1\n", "Unknown key 'bogus'", 3, 1)]
    [InlineData("name: p\ntemplate: x\ninput_variables:\n  - name: a\n    colour: red\n", "Unknown key 'colour'", 5, 5)]
    [InlineData("name: p\ntemplate: x\noutput_variable:\n  format: json\n", "Unknown key 'format'", 4, 3)]
    [InlineData("name: p\ntemplate: x\nname: q\n", "Duplicate key 'name'", 3, 1)]
    [InlineData("name: p\ntemplate: x\nexecution_settings:\n  default:\n    service_id: other\n", "service_id must equal its key", 5, 17)]
    [InlineData("name: p\ntemplate_format: liquid\ntemplate: x\n", "Unknown template_format 'liquid'", 2, 18)]
    [InlineData("name: p\ndescription: no template\n", "no 'template'", 1, 1)]
    [InlineData("name: bad name!\ntemplate: x\n", "prompt name 'bad name!' is invalid", 1, 7)]
    [InlineData("name: p\ntemplate: x\ninput_variables:\n  - name: a-b\n", "input variable name 'a-b' is invalid", 4, 11)]
    [InlineData("name: p\ntemplate: x\ninput_variables:\n  - name: a\n  - name: a\n", "declared more than once", 5, 11)]
    [InlineData("name: p\ntemplate: x\ninput_variables:\n  - description: nameless\n", "no 'name'", 4, 5)]
    [InlineData("name: p\ntemplate: x\ninput_variables: nope\n", "must be a list", 3, 18)]
    [InlineData("name: p\ntemplate: x\nallow_dangerously_set_content: maybe\n", "must be true or false", 3, 32)]
    [InlineData("name: p\ntemplate: x\ninput_variables:\n  - name: a\n    json_schema: '{not json'\n", "not valid JSON", 5, 18)]
    [InlineData("name: p\ntemplate: x\nexecution_settings:\n  default:\n    function_choice_behavior:\n      type: sometimes\n", "Unknown function_choice_behavior type 'sometimes'", 6, 13)]
    [InlineData("name: p\ntemplate: x\nexecution_settings: [1, 2]\n", "must be a mapping", 3, 21)]
    [InlineData("- name: p\n- template: x\n", "must be a YAML mapping", 1, 1)]
    [InlineData("name: p\ntemplate: [a, b]\n", "'template' must be a string", 2, 11)]
    public void Reports_configuration_errors_with_line_and_column(string yaml, string problem, int line, int column)
    {
        var ex = Assert.Throws<PromptConfigurationException>(() => PromptYaml.Parse(yaml, "prompts/p.yaml"));

        Assert.Contains(problem, ex.Problem, StringComparison.Ordinal);
        Assert.Equal("prompts/p.yaml", ex.SourceName);
        Assert.Equal(line, ex.Line);
        Assert.Equal(column, ex.Column);
        Assert.StartsWith($"prompts/p.yaml (line {line}, column {column}): ", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("name: p\ntemplate: 'unclosed\n", 2)]
    [InlineData("name: p\n  template: x\n", 2)]
    [InlineData("name: [p\ntemplate: x\n", 1)]
    [InlineData("name: p\ntemplate: x\nexecution_settings: {default: {a: 1}\n", 4)]
    public void Reports_yaml_syntax_errors_with_their_location(string yaml, int line)
    {
        var ex = Assert.Throws<PromptConfigurationException>(() => PromptYaml.Parse(yaml, "broken.yaml"));

        Assert.Equal("broken.yaml", ex.SourceName);
        Assert.Equal(line, ex.Line);
        Assert.NotNull(ex.Column);
        Assert.DoesNotContain("Idx:", ex.Problem, StringComparison.Ordinal);
        Assert.NotNull(ex.InnerException);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    public void Rejects_an_empty_file(string yaml)
    {
        var ex = Assert.Throws<PromptConfigurationException>(() => PromptYaml.Parse(yaml, "empty.yaml"));

        Assert.Contains("empty", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_more_than_one_document()
    {
        var ex = Assert.Throws<PromptConfigurationException>(() => PromptYaml.Parse("name: a\ntemplate: x\n---\nname: b\ntemplate: y\n", "two.yaml"));

        Assert.Contains("more than one YAML document", ex.Problem, StringComparison.Ordinal);
        Assert.Equal(4, ex.Line);
    }

    [Fact]
    public async Task Loads_files_and_streams()
    {
        var directory = Directory.CreateTempSubdirectory("prompt-yaml-");
        try
        {
            var path = Path.Combine(directory.FullName, "from-file.yaml");
            await File.WriteAllTextAsync(path, "template: |\n  From {{$where}}\n");

            var sync = PromptYaml.LoadFile(path);
            var asynchronous = await PromptYaml.LoadFileAsync(path);
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes("name: streamed\ntemplate: From a stream\n"));
            var streamed = PromptYaml.Load(stream, "streamed.yaml");

            Assert.Equal("from-file", sync.Name);
            Assert.Equal("From {{$where}}\n", sync.Template);
            Assert.Equal(sync.Template, asynchronous.Template);
            Assert.Equal("streamed", streamed.Name);
            Assert.True(stream.CanRead, "the stream is left open");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Load_file_async_honours_cancellation()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PromptYaml.LoadFileAsync(TestData.ShippedPromptPath("summarize"), cts.Token));
    }

    [Fact]
    public void Types_plain_scalars_by_the_yaml_core_schema()
    {
        var config = PromptYaml.Parse("""
            name: typed
            template: x
            execution_settings:
              default:
                a: 12
                b: -3.5e2
                c: "12"
                d: ~
                e: FALSE
                f: 0x1F
                g: hello
                h: { nested: [1, two] }
            """);
        var data = config.ExecutionSettings["default"].ExtensionData;

        Assert.Equal(12L, data["a"]);
        Assert.Equal(-350.0, data["b"]);
        Assert.Equal("12", data["c"]);
        Assert.Null(data["d"]);
        Assert.Equal(false, data["e"]);
        Assert.Equal(31L, data["f"]);
        Assert.Equal("hello", data["g"]);
        var nested = Assert.IsType<Dictionary<string, object?>>(data["h"]);
        Assert.Equal([1L, "two"], Assert.IsType<List<object?>>(nested["nested"]));
    }

    [Fact]
    public void Execution_settings_fall_back_to_default()
    {
        var config = PromptYaml.Parse("""
            name: services
            template: x
            execution_settings:
              default:
                temperature: 0.1
              fast:
                service_id: fast
                temperature: 0.9
            """);

        Assert.Equal(0.9, config.GetExecutionSettings("fast")!.ExtensionData["temperature"]);
        Assert.Equal(0.1, config.GetExecutionSettings("unknown")!.ExtensionData["temperature"]);
        Assert.Equal(0.1, config.GetExecutionSettings()!.ExtensionData["temperature"]);
    }

    [Fact]
    public void A_single_non_default_entry_is_used_when_no_service_is_named()
    {
        var config = new PromptTemplateConfig { Name = "x", Template = "t" };
        config.ExecutionSettings["only"] = new PromptExecutionSettings { ModelId = "m" };

        Assert.Equal("m", config.GetExecutionSettings()!.ModelId);
        Assert.Null(config.GetExecutionSettings("other"));
    }

    [Fact]
    public void Validate_checks_configurations_built_in_code()
    {
        var config = new PromptTemplateConfig { Name = "ok", Template = "t" };
        config.Validate();
        config.ExecutionSettings["azure"] = new PromptExecutionSettings { ServiceId = "openai" };

        var mismatch = Assert.Throws<PromptConfigurationException>(() => config.Validate("code"));
        Assert.Contains("service_id must equal its key", mismatch.Message, StringComparison.Ordinal);
        Assert.Equal("code", mismatch.SourceName);
        Assert.Null(mismatch.Line);

        var unknownFormat = new PromptTemplateConfig { Name = "ok", Template = "t", TemplateFormat = "jinja2" };
        Assert.Contains("Unknown template_format 'jinja2'", Assert.Throws<PromptConfigurationException>(() => unknownFormat.Validate()).Message, StringComparison.Ordinal);

        var duplicate = new PromptTemplateConfig { Name = "ok", Template = "t", InputVariables = [new() { Name = "a" }, new() { Name = "a" }] };
        Assert.Contains("more than once", Assert.Throws<PromptConfigurationException>(() => duplicate.Validate()).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("summarize", true)]
    [InlineData("answer-from-sources", true)]
    [InlineData("snake_case_2", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("dotted.name", false)]
    [InlineData(null, false)]
    public void Validates_function_names(string? name, bool valid) => Assert.Equal(valid, PromptTemplateConfig.IsValidFunctionName(name));

    [Theory]
    [InlineData("semantic-kernel", true)]
    [InlineData("Handlebars", true)]
    [InlineData("liquid", false)]
    [InlineData("prompty", false)]
    [InlineData(null, false)]
    public void Knows_the_supported_template_formats(string? format, bool known) => Assert.Equal(known, PromptTemplateConfig.IsKnownTemplateFormat(format));
}
