using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace SkAgents.Agents;

/// <summary>Why an agent run ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AgentStopReason>))]
public enum AgentStopReason
{
    /// <summary>The model answered without asking for more tools.</summary>
    Completed,

    /// <summary>The run made <see cref="AgentOptions.MaxRounds"/> model calls and the model still asked for tools.</summary>
    MaxRoundsReached,

    /// <summary>Tool calls failed in <see cref="AgentOptions.MaxConsecutiveToolErrors"/> rounds in a row.</summary>
    TooManyToolErrors,
}

/// <summary>How a tool call ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ToolCallStatus>))]
public enum ToolCallStatus
{
    /// <summary>The tool ran and returned a result.</summary>
    Succeeded,

    /// <summary>The tool threw, or its arguments could not be bound.</summary>
    Failed,

    /// <summary>The tool needed approval and did not get it.</summary>
    Denied,

    /// <summary>The model named a tool the agent does not have.</summary>
    UnknownTool,
}

/// <summary>One tool call made during a run.</summary>
/// <param name="CallId">The model's id for the call.</param>
/// <param name="Name">The tool name.</param>
/// <param name="Arguments">The arguments the model gave.</param>
/// <param name="Status">How the call ended.</param>
/// <param name="Result">The tool's result (<see cref="ToolCallStatus.Succeeded"/> only).</param>
/// <param name="Error">What went wrong, as sent to the model (not <see cref="ToolCallStatus.Succeeded"/>).</param>
/// <param name="Duration">How long the invocation took (zero when the tool did not run).</param>
public sealed record ToolCallRecord(
    string CallId,
    string Name,
    IDictionary<string, object?>? Arguments,
    ToolCallStatus Status,
    object? Result,
    string? Error,
    TimeSpan Duration);

/// <summary>The outcome of an agent run.</summary>
public sealed class AgentRunResult
{
    /// <summary>Creates a result.</summary>
    /// <param name="text">The final answer text.</param>
    /// <param name="messages">The messages the run added to the conversation.</param>
    /// <param name="toolCalls">Every tool call made, in order.</param>
    /// <param name="usage">Token usage summed over every model call.</param>
    /// <param name="rounds">How many model calls were made.</param>
    /// <param name="stopReason">Why the run ended.</param>
    public AgentRunResult(string text, IReadOnlyList<ChatMessage> messages, IReadOnlyList<ToolCallRecord> toolCalls, UsageDetails usage, int rounds, AgentStopReason stopReason)
    {
        Text = text;
        Messages = messages;
        ToolCalls = toolCalls;
        Usage = usage;
        Rounds = rounds;
        StopReason = stopReason;
    }

    /// <summary>Gets the final answer: the text of the model's last message.</summary>
    public string Text { get; }

    /// <summary>Gets the messages the run added to the conversation (assistant turns, tool results, the answer).</summary>
    public IReadOnlyList<ChatMessage> Messages { get; }

    /// <summary>Gets every tool call made, in order.</summary>
    public IReadOnlyList<ToolCallRecord> ToolCalls { get; }

    /// <summary>Gets token usage summed over every model call.</summary>
    public UsageDetails Usage { get; }

    /// <summary>Gets how many model calls were made.</summary>
    public int Rounds { get; }

    /// <summary>Gets why the run ended.</summary>
    public AgentStopReason StopReason { get; }

    /// <summary>Gets whether the model gave a final answer (<see cref="AgentStopReason.Completed"/>).</summary>
    public bool IsCompleted => StopReason == AgentStopReason.Completed;
}
