using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkAgents.Prompts.Tests;

public class ExecutionSettingsTests
{
    private static PromptExecutionSettings Settings(string yaml) =>
        PromptYaml.Parse("name: s\ntemplate: x\nexecution_settings:\n  default:\n" + string.Join('\n', yaml.Split('\n').Select(l => "    " + l))).ExecutionSettings["default"];

    [Fact]
    public void Maps_the_semantic_kernel_keys_to_chat_options()
    {
        var options = Settings("""
            model_id: gpt-test
            temperature: 0.3
            top_p: 0.9
            top_k: 40
            max_tokens: 256
            stop_sequences: ["###", END]
            seed: 42
            presence_penalty: 0.5
            frequency_penalty: -0.25
            chat_system_prompt: Be brief.
            reasoning_effort: high
            logit_bias: {"50256": -100}
            user: someone
            """).ToChatOptions();

        Assert.Equal("gpt-test", options.ModelId);
        Assert.Equal(0.3f, options.Temperature);
        Assert.Equal(0.9f, options.TopP);
        Assert.Equal(40, options.TopK);
        Assert.Equal(256, options.MaxOutputTokens);
        Assert.Equal(["###", "END"], options.StopSequences!);
        Assert.Equal(42L, options.Seed);
        Assert.Equal(0.5f, options.PresencePenalty);
        Assert.Equal(-0.25f, options.FrequencyPenalty);
        Assert.Equal("Be brief.", options.Instructions);
        Assert.Equal(ReasoningEffort.High, options.Reasoning!.Effort);
        Assert.Equal(2, options.AdditionalProperties!.Count);
        Assert.Equal("someone", options.AdditionalProperties["user"]);
        Assert.Equal(-100L, Assert.IsType<Dictionary<string, object?>>(options.AdditionalProperties["logit_bias"])["50256"]);
        Assert.Null(options.ToolMode);
        Assert.Null(options.Tools);
    }

    [Fact]
    public void Accepts_numbers_written_as_text_and_json()
    {
        var settings = new PromptExecutionSettings();
        settings.ExtensionData["temperature"] = "0.7";
        settings.ExtensionData["max_tokens"] = JsonDocument.Parse("128").RootElement;
        settings.ExtensionData["stop_sequences"] = JsonDocument.Parse("""["a","b"]""").RootElement;

        var options = settings.ToChatOptions();

        Assert.Equal(0.7f, options.Temperature);
        Assert.Equal(128, options.MaxOutputTokens);
        Assert.Equal(["a", "b"], options.StopSequences!);
    }

    [Theory]
    [InlineData("max_tokens: lots", "'max_tokens' must be an integer")]
    [InlineData("max_tokens: 1.5", "'max_tokens' must be an integer")]
    [InlineData("temperature: hot", "'temperature' must be a number")]
    [InlineData("reasoning_effort: extreme", "'reasoning_effort' must be one of")]
    [InlineData("response_format: xml", "'response_format' must be")]
    [InlineData("max_tokens: 99999999999", "32-bit integer")]
    public void Rejects_values_of_the_wrong_type(string yaml, string problem)
    {
        var ex = Assert.Throws<PromptConfigurationException>(() => Settings(yaml).ToChatOptions());

        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("response_format: json_object", true)]
    [InlineData("response_format: text", false)]
    [InlineData("response_format:\n  type: json_object", true)]
    [InlineData("response_format:\n  type: text", false)]
    public void Maps_simple_response_formats(string yaml, bool json)
    {
        var format = Settings(yaml).ToChatOptions().ResponseFormat;

        if (json)
        {
            Assert.Same(ChatResponseFormat.Json, format);
        }
        else
        {
            Assert.Same(ChatResponseFormat.Text, format);
        }
    }

    [Fact]
    public void Maps_a_json_schema_response_format()
    {
        var format = Settings("""
            response_format:
              type: json_schema
              json_schema:
                name: answer
                description: The answer.
                schema:
                  type: object
                  properties:
                    text: { type: string }
                  required: [text]
            """).ToChatOptions().ResponseFormat;

        var json = Assert.IsType<ChatResponseFormatJson>(format);
        Assert.Equal("answer", json.SchemaName);
        Assert.Equal("The answer.", json.SchemaDescription);
        Assert.Equal("object", json.Schema!.Value.GetProperty("type").GetString());
        Assert.Equal("text", json.Schema.Value.GetProperty("required")[0].GetString());
    }

    [Theory]
    [InlineData("auto", "auto")]
    [InlineData("required", "required")]
    [InlineData("none", "none")]
    public void Maps_function_choice_behavior_to_tool_mode_and_tools(string type, string mode)
    {
        var now = AIFunctionFactory.Create(() => "now", "time_now");
        var read = AIFunctionFactory.Create(() => "read", "files_read");

        var options = Settings($"function_choice_behavior:\n  type: {type}").ToChatOptions([now, read]);

        ChatToolMode expected = mode switch { "auto" => ChatToolMode.Auto, "required" => ChatToolMode.RequireAny, _ => ChatToolMode.None };
        Assert.Equal(expected, options.ToolMode);
        Assert.Equal(["time_now", "files_read"], options.Tools!.Select(t => t.Name));
    }

    [Fact]
    public void Function_choice_behavior_can_name_functions_and_options()
    {
        var now = AIFunctionFactory.Create(() => "now", "time_now");
        var read = AIFunctionFactory.Create(() => "read", "files_read");

        var options = Settings("function_choice_behavior:\n  type: auto\n  functions: [files.read]\n  options:\n    allow_parallel_calls: false").ToChatOptions([now, read]);

        Assert.Equal("files_read", Assert.Single(options.Tools!).Name);
        Assert.False(options.AllowMultipleToolCalls);
    }

    [Fact]
    public void Function_choice_behavior_naming_an_unavailable_function_is_an_error()
    {
        var ex = Assert.Throws<PromptConfigurationException>(() => Settings("function_choice_behavior:\n  functions: [web.search]").ToChatOptions());

        Assert.Contains("web.search", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prompt_sends_the_settings_of_its_service_to_the_client()
    {
        var config = PromptYaml.Parse("""
            name: svc
            template: Hi
            execution_settings:
              default:
                temperature: 0.1
              creative:
                service_id: creative
                temperature: 1.2
                max_tokens: 50
            """);
        var client = new ScriptedChatClient("a", "b");

        await new PromptFunction(config, client).InvokeAsync();
        await new PromptFunction(config, client, new PromptFunctionOptions { ServiceId = "creative" }).InvokeAsync();

        Assert.Equal(0.1f, client.Requests[0].Options!.Temperature);
        Assert.Null(client.Requests[0].Options!.MaxOutputTokens);
        Assert.Equal(1.2f, client.Requests[1].Options!.Temperature);
        Assert.Equal(50, client.Requests[1].Options!.MaxOutputTokens);
    }

    [Fact]
    public async Task A_prompt_without_settings_sends_no_options()
    {
        var client = new ScriptedChatClient();

        await PromptFunction.FromYaml("name: bare\ntemplate: Hi", client).InvokeAsync();

        Assert.Null(Assert.Single(client.Requests).Options);
    }

    [Fact]
    public async Task Function_choice_behavior_offers_the_template_functions_to_the_model()
    {
        var now = AIFunctionFactory.Create(() => "now", "time_now");
        var client = new ScriptedChatClient();
        var prompt = PromptFunction.FromYaml("name: tools\ntemplate: What time is it?\nexecution_settings:\n  default:\n    function_choice_behavior:\n      type: auto", client,
            new PromptFunctionOptions { TemplateFunctions = [now] });

        await prompt.InvokeAsync();

        var options = Assert.Single(client.Requests).Options!;
        Assert.Equal(ChatToolMode.Auto, options.ToolMode);
        Assert.Same(now, Assert.Single(options.Tools!));
    }
}
