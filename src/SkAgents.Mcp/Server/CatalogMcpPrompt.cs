using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using SkAgents.Prompts;

namespace SkAgents.Mcp.Server;

/// <summary>
/// A prompt function offered as an MCP prompt: <c>prompts/get</c> renders the template with the client's arguments and
/// returns the messages for the client's own model. Nothing calls our model.
/// </summary>
internal sealed class CatalogMcpPrompt : McpServerPrompt
{
    private readonly AIFunction _function;
    private readonly IRenderablePrompt _renderer;

    public CatalogMcpPrompt(AIFunction function, IRenderablePrompt renderer)
    {
        _function = function;
        _renderer = renderer;
        ProtocolPrompt = new Prompt
        {
            Name = function.Name,
            Description = function.Description,
            Arguments = ReadArguments(function.JsonSchema),
        };
    }

    public override Prompt ProtocolPrompt { get; }

    public override IReadOnlyList<object> Metadata => [];

    public override async ValueTask<GetPromptResult> GetAsync(RequestContext<GetPromptRequestParams> request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var arguments = new AIFunctionArguments();
        foreach (var (name, value) in request.Params?.Arguments ?? new Dictionary<string, JsonElement>())
        {
            arguments[name] = value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();
        }

        IReadOnlyList<ChatMessage> messages;
        try
        {
            messages = await _renderer.RenderMessagesAsync(arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            throw new McpProtocolException($"Prompt '{_function.Name}': {ex.Message}", McpErrorCode.InvalidParams);
        }

        return new GetPromptResult
        {
            Description = _function.Description,
            // MCP prompts carry user and assistant turns only; a system turn becomes a user turn so its text is kept.
            Messages = [.. messages.Select(m => new PromptMessage
            {
                Role = m.Role == ChatRole.Assistant ? Role.Assistant : Role.User,
                Content = new TextContentBlock { Text = m.Text },
            })],
        };
    }

    private static List<PromptArgument> ReadArguments(JsonElement schema)
    {
        var arguments = new List<PromptArgument>();
        if (!schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
        {
            return arguments;
        }

        var required = schema.TryGetProperty("required", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(e => e.GetString()).ToHashSet(StringComparer.Ordinal)
            : [];
        foreach (var property in properties.EnumerateObject())
        {
            arguments.Add(new PromptArgument
            {
                Name = property.Name,
                Description = property.Value.TryGetProperty("description", out var description) ? description.GetString() : null,
                Required = required.Contains(property.Name),
            });
        }

        return arguments;
    }
}
