using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SkAgents.Prompts;

/// <summary>
/// A prompt (a <see cref="PromptTemplateConfig"/>, usually read from Semantic Kernel prompt YAML) as an <see cref="AIFunction"/>:
/// invoking it renders the template with the arguments, parses the chat messages, and asks the chat model, returning the answer text.
/// Its JSON schema comes from the input variables, so models can call it as a tool.
/// </summary>
public sealed class PromptFunction : AIFunction, IStreamingPrompt, IRenderablePrompt
{
    private readonly IChatClient? _chatClient;
    private readonly IPromptTemplate _template;
    private readonly PromptFunctionOptions _options;
    private readonly ILogger _logger;
    private readonly JsonElement _jsonSchema;
    private readonly JsonElement? _returnJsonSchema;

    /// <summary>Initializes a new instance of the <see cref="PromptFunction"/> class.</summary>
    /// <param name="config">The prompt configuration; it is validated.</param>
    /// <param name="chatClient">The chat client; when <see langword="null"/>, it is resolved from <see cref="AIFunctionArguments.Services"/> at each call.</param>
    /// <param name="options">Template functions, service id, encoding and logging options.</param>
    /// <exception cref="PromptConfigurationException">The configuration or its template is invalid.</exception>
    public PromptFunction(PromptTemplateConfig config, IChatClient? chatClient = null, PromptFunctionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _options = options ?? new PromptFunctionOptions();
        config.Validate(_options.SourceName);
        Config = config;
        _chatClient = chatClient;
        TemplateFunctions = _options.TemplateFunctions?.Where(f => f is not null).ToList() ?? [];
        _logger = (_options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<PromptFunction>();
        try
        {
            _template = PromptTemplateFactory.Create(config, TemplateFunctions, new PromptTemplateOptions
            {
                AllowDangerouslySetContent = _options.AllowDangerouslySetContent,
                LoggerFactory = _options.LoggerFactory,
            });
        }
        catch (PromptTemplateException ex)
        {
            throw new PromptConfigurationException(_options.SourceName, $"The template of prompt '{config.Name}' is invalid: {ex.Message}", innerException: ex);
        }

        _jsonSchema = BuildJsonSchema(config);
        _returnJsonSchema = BuildReturnJsonSchema(config.OutputVariable);
    }

    /// <summary>Gets the prompt configuration.</summary>
    public PromptTemplateConfig Config { get; }

    /// <summary>Gets the functions the template may call.</summary>
    public IReadOnlyList<AIFunction> TemplateFunctions { get; }

    /// <inheritdoc />
    public override string Name => Config.Name!;

    /// <inheritdoc />
    public override string Description => Config.Description ?? string.Empty;

    /// <inheritdoc />
    public override JsonElement JsonSchema => _jsonSchema;

    /// <inheritdoc />
    public override JsonElement? ReturnJsonSchema => _returnJsonSchema;

    /// <summary>Creates a prompt function from prompt YAML.</summary>
    /// <param name="yaml">The YAML text.</param>
    /// <param name="chatClient">The chat client, or <see langword="null"/> to resolve it from the invocation's services.</param>
    /// <param name="options">The options; <see cref="PromptFunctionOptions.SourceName"/> names the YAML in errors.</param>
    /// <returns>The prompt function.</returns>
    /// <exception cref="PromptConfigurationException">The YAML or its template is invalid.</exception>
    public static PromptFunction FromYaml(string yaml, IChatClient? chatClient = null, PromptFunctionOptions? options = null) =>
        new(PromptYaml.Parse(yaml, options?.SourceName), chatClient, options);

    /// <summary>Creates a prompt function from a prompt YAML file.</summary>
    /// <param name="path">The file's path.</param>
    /// <param name="chatClient">The chat client, or <see langword="null"/> to resolve it from the invocation's services.</param>
    /// <param name="options">The options.</param>
    /// <returns>The prompt function.</returns>
    /// <exception cref="PromptConfigurationException">The YAML or its template is invalid.</exception>
    public static PromptFunction FromYamlFile(string path, IChatClient? chatClient = null, PromptFunctionOptions? options = null)
    {
        var config = PromptYaml.LoadFile(path);
        var effective = options ?? new PromptFunctionOptions();
        if (effective.SourceName is null)
        {
            effective = new PromptFunctionOptions
            {
                TemplateFunctions = effective.TemplateFunctions,
                ServiceId = effective.ServiceId,
                AllowDangerouslySetContent = effective.AllowDangerouslySetContent,
                LoggerFactory = effective.LoggerFactory,
                SourceName = path,
            };
        }

        return new PromptFunction(config, chatClient, effective);
    }

    /// <summary>Renders the prompt without calling the model.</summary>
    /// <param name="arguments">The variable values.</param>
    /// <param name="cancellationToken">Cancels rendering.</param>
    /// <returns>The rendered text, its chat messages, and the chat options.</returns>
    /// <exception cref="ArgumentException">Required variables are missing (all are named).</exception>
    public async Task<RenderedPrompt> RenderAsync(AIFunctionArguments? arguments = null, CancellationToken cancellationToken = default)
    {
        CheckRequired(arguments);
        var text = await _template.RenderAsync(arguments, cancellationToken).ConfigureAwait(false);
        var messages = ChatPromptParser.Parse(text);
        var options = Config.GetExecutionSettings(_options.ServiceId)?.ToChatOptions(TemplateFunctions);
        return new RenderedPrompt(text, messages, options);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ChatMessage>> RenderMessagesAsync(AIFunctionArguments? arguments = null, CancellationToken cancellationToken = default) =>
        [.. (await RenderAsync(arguments, cancellationToken).ConfigureAwait(false)).Messages];

    /// <summary>Renders the prompt and asks the chat model.</summary>
    /// <param name="arguments">The variable values; <see cref="AIFunctionArguments.Services"/> provides the chat client when none was given.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The model's response.</returns>
    /// <exception cref="ArgumentException">Required variables are missing.</exception>
    /// <exception cref="InvalidOperationException">No chat client is available.</exception>
    public async Task<ChatResponse> GetResponseAsync(AIFunctionArguments? arguments = null, CancellationToken cancellationToken = default)
    {
        var client = ResolveClient(arguments);
        var rendered = await RenderAsync(arguments, cancellationToken).ConfigureAwait(false);
        _logger.LogDebug("Running prompt '{Prompt}' with {Count} message(s).", Name, rendered.Messages.Count);
        return await client.GetResponseAsync(rendered.Messages, rendered.Options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Renders the prompt and streams the model's answer text.</summary>
    /// <param name="arguments">The variable values.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer text, piece by piece.</returns>
    public async IAsyncEnumerable<string> InvokeStreamingAsync(AIFunctionArguments? arguments = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var client = ResolveClient(arguments);
        var rendered = await RenderAsync(arguments, cancellationToken).ConfigureAwait(false);
        await foreach (var update in client.GetStreamingResponseAsync(rendered.Messages, rendered.Options, cancellationToken).ConfigureAwait(false))
        {
            var text = update.Text;
            if (!string.IsNullOrEmpty(text))
            {
                yield return text;
            }
        }
    }

    /// <inheritdoc />
    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        var response = await GetResponseAsync(arguments, cancellationToken).ConfigureAwait(false);
        return response.Text;
    }

    private void CheckRequired(AIFunctionArguments? arguments)
    {
        var supplied = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (arguments is not null)
        {
            foreach (var (name, value) in arguments)
            {
                if (value is not null && value is not JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined })
                {
                    supplied.Add(name);
                }
            }
        }

        var missing = Config.InputVariables.Where(v => v.MustBeSupplied && !supplied.Contains(v.Name)).Select(v => v.Name).ToList();
        if (missing.Count > 0)
        {
            throw new ArgumentException(
                $"The prompt '{Name}' needs the variable{(missing.Count == 1 ? string.Empty : "s")} {string.Join(", ", missing.Select(m => $"'{m}'"))}, which {(missing.Count == 1 ? "was" : "were")} not supplied.",
                nameof(arguments));
        }
    }

    private IChatClient ResolveClient(AIFunctionArguments? arguments)
    {
        if (_chatClient is not null)
        {
            return _chatClient;
        }

        var services = arguments?.Services;
        if (services is not null)
        {
            if (_options.ServiceId is { } serviceId && services is IKeyedServiceProvider keyed
                && keyed.GetKeyedService(typeof(IChatClient), serviceId) is IChatClient keyedClient)
            {
                return keyedClient;
            }

            if (services.GetService(typeof(IChatClient)) is IChatClient client)
            {
                return client;
            }
        }

        throw new InvalidOperationException(
            $"The prompt '{Name}' has no chat client: pass one to the PromptFunction (or catalog), or register an IChatClient in the services of the AIFunctionArguments.");
    }

    private static JsonElement BuildJsonSchema(PromptTemplateConfig config)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var variable in config.InputVariables)
        {
            JsonObject schema;
            var parsed = variable.JsonSchema is null ? null : JsonNode.Parse(variable.JsonSchema);
            schema = parsed as JsonObject ?? new JsonObject { ["type"] = "string" };
            if (variable.Description is not null && !schema.ContainsKey("description"))
            {
                schema["description"] = variable.Description;
            }

            if (variable.Default is not null && !schema.ContainsKey("default"))
            {
                schema["default"] = PromptValues.ToJsonNode(variable.Default);
            }

            properties[variable.Name] = schema;
            if (variable.MustBeSupplied)
            {
                required.Add(variable.Name);
            }
        }

        var root = new JsonObject { ["type"] = "object", ["properties"] = properties };
        if (required.Count > 0)
        {
            root["required"] = required;
        }

        return PromptValues.ToElement(root);
    }

    private static JsonElement? BuildReturnJsonSchema(OutputVariable? output)
    {
        if (output is null)
        {
            return null;
        }

        var schema = output.JsonSchema is null ? null : JsonNode.Parse(output.JsonSchema) as JsonObject;
        if (schema is null && output.Description is null)
        {
            return null;
        }

        schema ??= new JsonObject { ["type"] = "string" };
        if (output.Description is not null && !schema.ContainsKey("description"))
        {
            schema["description"] = output.Description;
        }

        return PromptValues.ToElement(schema);
    }
}
