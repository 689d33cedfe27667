using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.Agents;
using Spectre.Console;

namespace SkAgents.Cli;

/// <summary>The interactive loop of <c>skagents chat</c>: reads a line, streams the agent's answer, keeps the history.</summary>
internal sealed class ChatSession
{
    private readonly Agent _agent;
    private readonly CliContext _context;
    private readonly IAnsiConsole _status;
    private readonly List<ChatMessage> _history = [];

    public ChatSession(Agent agent, CliContext context)
    {
        _agent = agent;
        _context = context;
        _status = context.CreateConsole(context.Error);
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (_context.IsInteractive)
        {
            _status.MarkupLine("[grey]Chatting with the agent. /reset starts over, /exit quits.[/]");
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            if (_context.IsInteractive)
            {
                _status.Markup("[bold green]you>[/] ");
            }

            var line = await _context.In.ReadLineAsync(cancellationToken);
            if (line is null || line.Trim() is "/exit" or "/quit")
            {
                return ExitCodes.Success;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (line.Trim() == "/reset")
            {
                _history.Clear();
                _status.MarkupLine("[grey]History cleared.[/]");
                continue;
            }

            _history.Add(new ChatMessage(ChatRole.User, line));
            AgentRunResult? result;
            try
            {
                result = await StreamTurnAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One failed turn (a model-service error, say) does not end the session: report it and let the person retry.
                _history.RemoveAt(_history.Count - 1);
                _status.MarkupLine($"[red]error: {Markup.Escape(SkAgentsCli.OneLine(ex))}[/]");
                continue;
            }

            if (result is null)
            {
                continue;
            }

            _history.AddRange(result.Messages);
            if (!result.IsCompleted)
            {
                _status.MarkupLine($"[red]{Markup.Escape(RunOutput.DescribeStop(result))}[/]");
            }
        }

        return ExitCodes.Cancelled;
    }

    private async Task<AgentRunResult?> StreamTurnAsync(CancellationToken cancellationToken)
    {
        AgentRunResult? result = null;
        var wroteText = false;
        await foreach (var update in _agent.RunStreamingAsync(_history, cancellationToken))
        {
            switch (update)
            {
                case AgentTextDelta delta:
                    await _context.Out.WriteAsync(delta.Text);
                    await _context.Out.FlushAsync(cancellationToken);
                    wroteText = true;
                    break;
                case AgentToolCallRequested requested:
                    if (wroteText)
                    {
                        await _context.Out.WriteLineAsync();
                        wroteText = false;
                    }

                    var arguments = JsonSerializer.Serialize(requested.Call.Arguments ?? new Dictionary<string, object?>());
                    _status.MarkupLine($"[grey]→ {Markup.Escape(requested.Call.Name)}({Markup.Escape(Truncate(arguments, 200))})[/]");
                    break;
                case AgentToolCallCompleted completed:
                    var record = completed.Record;
                    var color = record.Status == ToolCallStatus.Succeeded ? "grey" : "yellow";
                    var detail = record.Status == ToolCallStatus.Succeeded
                        ? $"{record.Duration.TotalMilliseconds:F0} ms"
                        : $"{record.Status}: {record.Error}";
                    _status.MarkupLine($"[{color}]← {Markup.Escape(record.Name)} {Markup.Escape(Truncate(detail, 300))}[/]");
                    break;
                case AgentRunCompleted done:
                    result = done.Result;
                    break;
            }
        }

        if (wroteText)
        {
            await _context.Out.WriteLineAsync();
        }

        return result;
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
