using System.Text.Json;
using ModelContextProtocol.Protocol;

namespace SkAgents.Mcp.Client;

/// <summary>
/// Answers the questions an external MCP server asks the user (MCP elicitation), for example "Allow 'files_write' to
/// run?" before a side effect. A connection without a handler does not offer elicitation, so such servers refuse instead.
/// </summary>
public interface IMcpElicitationHandler
{
    /// <summary>Answers one request.</summary>
    /// <param name="serverName">The configured name of the server that asks.</param>
    /// <param name="request">The message and the form (flat fields of string, number, boolean or enum type).</param>
    /// <param name="cancellationToken">Cancels the question.</param>
    /// <returns>accept (with the field values), decline or cancel.</returns>
    ValueTask<ElicitResult> ElicitAsync(string serverName, ElicitRequestParams request, CancellationToken cancellationToken);
}

/// <summary>
/// Accepts confirmations without asking: forms whose every field is a yes/no question are answered yes; anything that
/// asks for other information is declined. What a host uses when its user approved all side effects up front
/// (<c>skagents --yes</c>).
/// </summary>
public sealed class ApproveConfirmationsElicitationHandler : IMcpElicitationHandler
{
    /// <summary>Gets the shared instance.</summary>
    public static ApproveConfirmationsElicitationHandler Instance { get; } = new();

    /// <inheritdoc />
    public ValueTask<ElicitResult> ElicitAsync(string serverName, ElicitRequestParams request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var fields = request.RequestedSchema?.Properties;
        if (fields is null || fields.Count == 0 || fields.Values.Any(f => f is not ElicitRequestParams.BooleanSchema))
        {
            return ValueTask.FromResult(new ElicitResult { Action = "decline" });
        }

        return ValueTask.FromResult(new ElicitResult
        {
            Action = "accept",
            Content = fields.Keys.ToDictionary(k => k, _ => JsonSerializer.SerializeToElement(true, McpClientJsonContext.Default.Boolean)),
        });
    }
}
