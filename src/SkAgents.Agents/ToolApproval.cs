using Microsoft.Extensions.AI;

namespace SkAgents.Agents;

/// <summary>A request to approve one tool call that has side effects.</summary>
/// <param name="AgentName">The agent asking.</param>
/// <param name="Call">The call, with the model's arguments.</param>
/// <param name="Tool">The tool to be invoked.</param>
/// <param name="SideEffect">What the tool changes, as it declares (may be null).</param>
public sealed record ToolApprovalRequest(string AgentName, FunctionCallContent Call, AIFunction Tool, string? SideEffect);

/// <summary>The answer to a <see cref="ToolApprovalRequest"/>.</summary>
/// <param name="Approved">Whether the call may run.</param>
/// <param name="Reason">Why, when denied (reported to the model).</param>
public sealed record ToolApprovalDecision(bool Approved, string? Reason = null)
{
    /// <summary>An approval.</summary>
    public static ToolApprovalDecision Approve { get; } = new(true);

    /// <summary>A denial with a reason.</summary>
    /// <param name="reason">Why.</param>
    /// <returns>The decision.</returns>
    public static ToolApprovalDecision Deny(string reason) => new(false, reason);
}

/// <summary>
/// Decides whether an approval-required tool call (an <see cref="ApprovalRequiredAIFunction"/>) may run.
/// The agent asks for one call at a time, so an implementation may prompt a person.
/// </summary>
public interface IToolApprover
{
    /// <summary>Decides on one call.</summary>
    /// <param name="request">The call to decide on.</param>
    /// <param name="cancellationToken">Cancels the decision (and the run).</param>
    /// <returns>The decision.</returns>
    ValueTask<ToolApprovalDecision> ApproveAsync(ToolApprovalRequest request, CancellationToken cancellationToken);
}

/// <summary>Denies every call: the safe default when nobody can be asked (non-interactive runs).</summary>
public sealed class DenyAllToolApprover : IToolApprover
{
    /// <summary>The shared instance.</summary>
    public static DenyAllToolApprover Instance { get; } = new();

    /// <inheritdoc />
    public ValueTask<ToolApprovalDecision> ApproveAsync(ToolApprovalRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(ToolApprovalDecision.Deny(
            "Approval is required and this host has no one to ask, so the call was denied (the host can be set to approve side effects, e.g. skagents --yes)."));
}

/// <summary>Approves every call: what <c>--yes</c> selects. Use only when the person running the agent accepts every side effect.</summary>
public sealed class ApproveAllToolApprover : IToolApprover
{
    /// <summary>The shared instance.</summary>
    public static ApproveAllToolApprover Instance { get; } = new();

    /// <inheritdoc />
    public ValueTask<ToolApprovalDecision> ApproveAsync(ToolApprovalRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(ToolApprovalDecision.Approve);
}
