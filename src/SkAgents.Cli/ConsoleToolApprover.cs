using System.Text.Json;
using SkAgents.Agents;
using Spectre.Console;

namespace SkAgents.Cli;

/// <summary>
/// Asks the person at the terminal to approve each side-effecting tool call; the default answer is no.
/// The agent asks about one call at a time, so prompts never overlap.
/// </summary>
internal sealed class ConsoleToolApprover : IToolApprover
{
    private readonly IAnsiConsole _console;

    public ConsoleToolApprover(IAnsiConsole console) => _console = console;

    public async ValueTask<ToolApprovalDecision> ApproveAsync(ToolApprovalRequest request, CancellationToken cancellationToken)
    {
        var arguments = JsonSerializer.Serialize(request.Call.Arguments ?? new Dictionary<string, object?>());
        _console.MarkupLine($"[yellow]Approval needed:[/] [bold]{Markup.Escape(request.Call.Name)}[/] {Markup.Escape(arguments)}");
        if (request.SideEffect is { } effect)
        {
            _console.MarkupLine($"[grey]{Markup.Escape(effect)}[/]");
        }

        var approved = await new ConfirmationPrompt("Allow this call?") { DefaultValue = false }.ShowAsync(_console, cancellationToken);
        return approved ? ToolApprovalDecision.Approve : ToolApprovalDecision.Deny("The user declined.");
    }
}
