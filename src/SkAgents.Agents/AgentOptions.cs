using Microsoft.Extensions.AI;

namespace SkAgents.Agents;

/// <summary>How an <see cref="Agent"/> behaves: its instructions, limits and model settings.</summary>
public sealed class AgentOptions
{
    /// <summary>Gets or sets the agent's name, used in traces and logs.</summary>
    public string Name { get; set; } = "skagents";

    /// <summary>Gets or sets the system instructions sent with every model call (as <see cref="ChatOptions.Instructions"/>).</summary>
    public string? Instructions { get; set; }

    /// <summary>
    /// Gets or sets the most model calls one run may make. A run that reaches it while the model still asks for tools
    /// stops with <see cref="AgentStopReason.MaxRoundsReached"/>. Default 16.
    /// </summary>
    public int MaxRounds { get; set; } = 16;

    /// <summary>
    /// Gets or sets how many rounds in a row may contain a failed tool call before the run stops with
    /// <see cref="AgentStopReason.TooManyToolErrors"/>. Default 3.
    /// </summary>
    public int MaxConsecutiveToolErrors { get; set; } = 3;

    /// <summary>Gets or sets whether several tool calls of one model turn run concurrently. Default true.</summary>
    public bool AllowConcurrentToolCalls { get; set; } = true;

    /// <summary>
    /// Gets or sets whether a failing tool's exception message is shown to the model (so it can correct its call).
    /// When false the model only learns that the call failed. Default true: our plugins' errors say what was wrong.
    /// </summary>
    public bool IncludeToolErrorDetails { get; set; } = true;

    /// <summary>Gets or sets the model settings (model id, temperature, max tokens…) used as the base of every call.</summary>
    public ChatOptions? ChatOptions { get; set; }

    internal void Validate()
    {
        if (MaxRounds < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRounds), MaxRounds, "AgentOptions.MaxRounds must be at least 1.");
        }

        if (MaxConsecutiveToolErrors < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConsecutiveToolErrors), MaxConsecutiveToolErrors, "AgentOptions.MaxConsecutiveToolErrors must be at least 1.");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(Name, nameof(Name));
    }
}
