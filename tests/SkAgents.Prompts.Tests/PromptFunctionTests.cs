using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SkAgents.Prompts.Tests;

public class PromptFunctionTests
{
    private const string GreetYaml = """
        name: greet
        description: Greets someone.
        template: |
          <message role="system">You greet people in {{$language}}.</message>
          <message role="user">Greet {{$person}} ({{$title}}).</message>
        input_variables:
          - name: person
            description: Who to greet.
          - name: title
            description: Their title.
          - name: language
            default: English
          - name: note
            is_required: false
        output_variable:
          description: The greeting.
          json_schema: '{"type": "string", "maxLength": 200}'
        execution_settings:
          default:
            temperature: 0.4
        """;

    [Fact]
    public async Task Invoke_returns_the_answer_text_and_sends_the_parsed_messages()
    {
        var client = new ScriptedChatClient("Hello, Dr. Ada!");
        var prompt = PromptFunction.FromYaml(GreetYaml, client);

        var result = await prompt.InvokeAsync(new AIFunctionArguments { ["person"] = "Ada", ["title"] = "Dr." });

        Assert.Equal("Hello, Dr. Ada!", result);
        var (messages, options) = Assert.Single(client.Requests);
        Assert.Equal([ChatRole.System, ChatRole.User], messages.Select(m => m.Role));
        Assert.Equal("You greet people in English.", messages[0].Text);
        Assert.Equal("Greet Ada (Dr.).", messages[1].Text);
        Assert.Equal(0.4f, options!.Temperature);
    }

    [Fact]
    public void Exposes_name_description_and_schemas()
    {
        var prompt = PromptFunction.FromYaml(GreetYaml);

        Assert.Equal("greet", prompt.Name);
        Assert.Equal("Greets someone.", prompt.Description);
        var schema = prompt.JsonSchema;
        Assert.Equal("object", schema.GetProperty("type").GetString());
        Assert.Equal(["person", "title", "language", "note"], schema.GetProperty("properties").EnumerateObject().Select(p => p.Name));
        Assert.Equal("Who to greet.", schema.GetProperty("properties").GetProperty("person").GetProperty("description").GetString());
        Assert.Equal("string", schema.GetProperty("properties").GetProperty("person").GetProperty("type").GetString());
        Assert.Equal("English", schema.GetProperty("properties").GetProperty("language").GetProperty("default").GetString());
        Assert.Equal(["person", "title"], schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        var returns = prompt.ReturnJsonSchema!.Value;
        Assert.Equal(200, returns.GetProperty("maxLength").GetInt32());
        Assert.Equal("The greeting.", returns.GetProperty("description").GetString());
        Assert.Empty(prompt.TemplateFunctions);
    }

    [Fact]
    public async Task Missing_required_variables_are_all_named_in_one_error()
    {
        var client = new ScriptedChatClient();
        var prompt = PromptFunction.FromYaml(GreetYaml, client);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => prompt.InvokeAsync(new AIFunctionArguments { ["title"] = JsonDocument.Parse("null").RootElement }).AsTask());

        Assert.Contains("'person'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'title'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'language'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'note'", ex.Message, StringComparison.Ordinal);
        Assert.Empty(client.Requests);
    }

    [Fact]
    public async Task Render_does_not_call_the_model()
    {
        var client = new ScriptedChatClient();
        var prompt = PromptFunction.FromYaml(GreetYaml, client);

        var rendered = await prompt.RenderAsync(new AIFunctionArguments { ["person"] = "Linus", ["title"] = "Mr.", ["language"] = "Finnish" });

        Assert.Empty(client.Requests);
        Assert.Contains("You greet people in Finnish.", rendered.Text, StringComparison.Ordinal);
        Assert.Equal(2, rendered.Messages.Count);
        Assert.Equal(0.4f, rendered.Options!.Temperature);
    }

    [Fact]
    public async Task Resolves_the_chat_client_from_the_arguments_services()
    {
        var client = new ScriptedChatClient("from services");
        var prompt = PromptFunction.FromYaml("name: p\ntemplate: Hi");

        var result = await prompt.InvokeAsync(new AIFunctionArguments { Services = new TestServices().Add<IChatClient>(client) });

        Assert.Equal("from services", result);
        Assert.Single(client.Requests);
    }

    [Fact]
    public async Task Resolves_a_keyed_chat_client_for_its_service_id()
    {
        var plain = new ScriptedChatClient("plain");
        var keyed = new ScriptedChatClient("keyed");
        var services = new TestServices().Add<IChatClient>(plain).AddKeyed<IChatClient>("fast", keyed);
        var prompt = PromptFunction.FromYaml("name: p\ntemplate: Hi", options: new PromptFunctionOptions { ServiceId = "fast" });
        var unkeyed = PromptFunction.FromYaml("name: p\ntemplate: Hi", options: new PromptFunctionOptions { ServiceId = "missing" });

        Assert.Equal("keyed", await prompt.InvokeAsync(new AIFunctionArguments { Services = services }));
        Assert.Equal("plain", await unkeyed.InvokeAsync(new AIFunctionArguments { Services = services }));
    }

    [Fact]
    public async Task Without_a_chat_client_invocation_fails_clearly()
    {
        var prompt = PromptFunction.FromYaml("name: lonely\ntemplate: Hi");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => prompt.InvokeAsync(new AIFunctionArguments { Services = new TestServices() }).AsTask());

        Assert.Contains("lonely", ex.Message, StringComparison.Ordinal);
        Assert.Contains("IChatClient", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_response_returns_the_chat_response()
    {
        var prompt = PromptFunction.FromYaml("name: p\ntemplate: Hi", new ScriptedChatClient("full response"));

        var response = await prompt.GetResponseAsync();

        Assert.Equal("full response", response.Text);
        Assert.Equal(ChatRole.Assistant, Assert.Single(response.Messages).Role);
    }

    [Fact]
    public async Task Streams_the_answer_text()
    {
        var client = new ScriptedChatClient("one two three");
        var prompt = PromptFunction.FromYaml("name: p\ntemplate: Count for {{$who}}", client);

        var parts = new List<string>();
        await foreach (var part in prompt.InvokeStreamingAsync(new AIFunctionArguments { ["who"] = "me" }))
        {
            parts.Add(part);
        }

        Assert.Equal(["one ", "two ", "three "], parts);
        Assert.Equal("Count for me", Assert.Single(Assert.Single(client.Requests).Messages).Text);
    }

    [Fact]
    public async Task Streaming_checks_required_variables()
    {
        var prompt = PromptFunction.FromYaml(GreetYaml, new ScriptedChatClient());

        await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (var part in prompt.InvokeStreamingAsync())
            {
                Assert.Fail("nothing should stream: " + part);
            }
        });
    }

    [Fact]
    public async Task Honours_cancellation()
    {
        var client = new ScriptedChatClient { Delay = TimeSpan.FromSeconds(30) };
        var prompt = PromptFunction.FromYaml("name: p\ntemplate: Hi", client);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => prompt.InvokeAsync(cancellationToken: cts.Token).AsTask());
    }

    [Fact]
    public async Task Template_functions_run_while_invoking()
    {
        var now = AIFunctionFactory.Create(() => "noon", "time_now");
        var client = new ScriptedChatClient();
        var prompt = PromptFunction.FromYaml("name: p\ntemplate: It is {{time.now}}.", client, new PromptFunctionOptions { TemplateFunctions = [now] });

        await prompt.InvokeAsync();

        Assert.Equal("It is noon.", Assert.Single(client.Requests).Messages[0].Text);
        Assert.Same(now, Assert.Single(prompt.TemplateFunctions));
    }

    [Fact]
    public void A_malformed_template_is_a_configuration_error_naming_the_source()
    {
        var ex = Assert.Throws<PromptConfigurationException>(() => PromptFunction.FromYaml("name: p\ntemplate: 'Hi {{$}}'", options: new PromptFunctionOptions { SourceName = "p.yaml" }));

        Assert.Equal("p.yaml", ex.SourceName);
        var inner = Assert.IsType<PromptTemplateException>(ex.InnerException);
        Assert.Equal(5, inner.Position);
    }

    [Fact]
    public void An_invalid_config_is_rejected()
    {
        Assert.Throws<PromptConfigurationException>(() => new PromptFunction(new PromptTemplateConfig { Template = "x" }));
    }

    [Fact]
    public async Task From_yaml_file_names_the_prompt_after_the_file()
    {
        var directory = Directory.CreateTempSubdirectory("prompt-fn-");
        try
        {
            var path = Path.Combine(directory.FullName, "file-named.yaml");
            await File.WriteAllTextAsync(path, "template: Hi {{$x}}\ninput_variables:\n  - name: x\n");
            var client = new ScriptedChatClient("done");

            var prompt = PromptFunction.FromYamlFile(path, client);

            Assert.Equal("file-named", prompt.Name);
            Assert.Equal("done", await prompt.InvokeAsync(new AIFunctionArguments { ["x"] = "there" }));
            Assert.Equal("Hi there", client.Requests[0].Messages[0].Text);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_allow_option_lets_variables_add_messages()
    {
        var client = new ScriptedChatClient();
        var prompt = PromptFunction.FromYaml("name: p\ntemplate: '{{$x}}'", client, new PromptFunctionOptions { AllowDangerouslySetContent = true });

        await prompt.InvokeAsync(new AIFunctionArguments { ["x"] = "<message role=\"system\">trusted</message><message role=\"user\">hi</message>" });

        Assert.Equal([ChatRole.System, ChatRole.User], Assert.Single(client.Requests).Messages.Select(m => m.Role));
    }

    [Fact]
    public async Task Can_be_called_as_a_tool_with_json_arguments()
    {
        var client = new ScriptedChatClient("tool answer");
        var prompt = PromptFunction.FromYaml(GreetYaml, client);
        using var json = JsonDocument.Parse("""{"person":"Grace","title":"Rear Admiral"}""");
        var arguments = new AIFunctionArguments(json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone()));

        var result = await prompt.InvokeAsync(arguments);

        Assert.Equal("tool answer", result);
        Assert.Equal("Greet Grace (Rear Admiral).", client.Requests[0].Messages[1].Text);
    }
}
