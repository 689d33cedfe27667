using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using SkAgents.Plugins;

namespace SkAgents.Mcp.Server;

/// <summary>
/// One catalog tool served over MCP. Approval-required tools ask the client's user first (elicitation), or run only when
/// the server was started to approve side effects; failures come back as tool errors that name the problem.
/// </summary>
internal sealed class CatalogMcpTool : DelegatingMcpServerTool
{
    internal const string ApprovalField = "approve";

    private readonly AIFunction _function;
    private readonly SkAgentsMcpServerOptions _options;
    private readonly ILogger _logger;

    public CatalogMcpTool(AIFunction function, SkAgentsMcpServerOptions options, ILogger logger)
        : base(Create(function))
    {
        _function = function;
        _options = options;
        _logger = logger;
    }

    public override async ValueTask<CallToolResult> InvokeAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_function.RequiresApproval() && !_options.ApproveSideEffects)
        {
            var refusal = await ConfirmAsync(request, cancellationToken).ConfigureAwait(false);
            if (refusal is not null)
            {
                return refusal;
            }
        }

        try
        {
            return await base.InvokeAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The caller's model needs the reason (which setting, which page) to recover; our exceptions carry no secrets.
            _logger.LogWarning("MCP tool {Tool} failed: {Message}", _function.Name, ex.Message);
            return Error($"{_function.Name} failed: {ex.Message}");
        }
    }

    private async ValueTask<CallToolResult?> ConfirmAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken)
    {
        var server = request.Server;
        var sideEffect = DescribeSideEffect(_function);
        if (server.ClientCapabilities?.Elicitation is null)
        {
            _logger.LogInformation("Refused {Tool}: approval required and the client cannot ask its user.", _function.Name);
            return Error(
                $"{_function.Name} needs approval (side effect: {sideEffect}). This client cannot ask its user (no elicitation support), " +
                "and the server was not started with --yes, so the call was not run.");
        }

        var arguments = request.Params?.Arguments is { Count: > 0 } given
            ? JsonSerializer.Serialize(given, McpJsonContext.Default.IDictionaryStringJsonElement)
            : "{}";
        var result = await server.ElicitAsync(
            new ElicitRequestParams
            {
                Message = $"Allow '{_function.Name}' to run? Side effect: {sideEffect}. Arguments: {arguments}",
                RequestedSchema = new ElicitRequestParams.RequestSchema
                {
                    Properties = new Dictionary<string, ElicitRequestParams.PrimitiveSchemaDefinition>
                    {
                        [ApprovalField] = new ElicitRequestParams.BooleanSchema
                        {
                            Title = "Approve",
                            Description = $"Run {_function.Name} with these arguments.",
                            Default = false,
                        },
                    },
                    Required = [ApprovalField],
                },
            },
            cancellationToken).ConfigureAwait(false);

        var approved = result.IsAccepted &&
            result.Content is { } content &&
            content.TryGetValue(ApprovalField, out var value) &&
            value.ValueKind == JsonValueKind.True;
        if (approved)
        {
            _logger.LogInformation("The client's user approved {Tool}.", _function.Name);
            return null;
        }

        _logger.LogInformation("The client's user did not approve {Tool} ({Action}).", _function.Name, result.Action);
        return Error($"{_function.Name} was not run: the user did not approve it ({result.Action}).");
    }

    private static CallToolResult Error(string message) => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = message }],
    };

    private static string DescribeSideEffect(AIFunction function) =>
        function.GetSideEffect()?.Trim().TrimEnd('.') is { Length: > 0 } text ? text : "it has side effects";

    private static McpServerTool Create(AIFunction function)
    {
        var sideEffect = function.RequiresApproval();
        return McpServerTool.Create(function, new McpServerToolCreateOptions
        {
            Name = function.Name,
            Description = sideEffect
                ? $"{function.Description} (Needs the user's approval. Side effect: {DescribeSideEffect(function)}.)"
                : function.Description,
            Destructive = sideEffect ? true : null,
            ReadOnly = function.IsReadOnly() ? true : sideEffect ? false : null,
        });
    }
}
