using Microsoft.Extensions.AI;

namespace SkAgents.Agents;

/// <summary>Something that happened during a streaming agent run.</summary>
public abstract record AgentEvent;

/// <summary>A piece of the model's answer text.</summary>
/// <param name="Text">The text delta.</param>
public sealed record AgentTextDelta(string Text) : AgentEvent;

/// <summary>The model asked for a tool call; it is about to be approved (if needed) and invoked.</summary>
/// <param name="Call">The call the model made.</param>
/// <param name="RequiresApproval">Whether the tool needs approval first.</param>
public sealed record AgentToolCallRequested(FunctionCallContent Call, bool RequiresApproval) : AgentEvent;

/// <summary>A tool call finished (succeeded, failed, was denied, or named an unknown tool).</summary>
/// <param name="Record">What happened.</param>
public sealed record AgentToolCallCompleted(ToolCallRecord Record) : AgentEvent;

/// <summary>A model call finished; its usage is known.</summary>
/// <param name="Round">The 1-based number of the model call.</param>
/// <param name="Usage">The call's usage, when the model reported it.</param>
public sealed record AgentRoundCompleted(int Round, UsageDetails? Usage) : AgentEvent;

/// <summary>The run ended.</summary>
/// <param name="Result">The run's outcome.</param>
public sealed record AgentRunCompleted(AgentRunResult Result) : AgentEvent;
