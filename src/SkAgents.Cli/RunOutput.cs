using System.Text.Json;
using System.Text.Json.Nodes;
using SkAgents.Agents;

namespace SkAgents.Cli;

/// <summary>Renders an agent run for <c>skagents run</c>.</summary>
internal static class RunOutput
{
    /// <summary>The <c>--json</c> object: answer, stop reason, rounds, tool calls and usage.</summary>
    public static string ToJson(AgentRunResult result)
    {
        var calls = new JsonArray();
        foreach (var call in result.ToolCalls)
        {
            calls.Add(new JsonObject
            {
                ["id"] = call.CallId,
                ["name"] = call.Name,
                ["arguments"] = JsonSerializer.SerializeToNode(call.Arguments ?? new Dictionary<string, object?>()),
                ["status"] = call.Status.ToString(),
                ["result"] = call.Result is null ? null : JsonSerializer.SerializeToNode(call.Result),
                ["error"] = call.Error,
                ["durationMs"] = Math.Round(call.Duration.TotalMilliseconds, 1),
            });
        }

        var output = new JsonObject
        {
            ["answer"] = result.Text,
            ["stopReason"] = result.StopReason.ToString(),
            ["rounds"] = result.Rounds,
            ["toolCalls"] = calls,
            ["usage"] = new JsonObject
            {
                ["inputTokens"] = result.Usage.InputTokenCount,
                ["outputTokens"] = result.Usage.OutputTokenCount,
                ["totalTokens"] = result.Usage.TotalTokenCount,
            },
        };
        return output.ToJsonString(SkAgentsCli.JsonOutput);
    }

    /// <summary>Says why a run ended without an answer.</summary>
    public static string DescribeStop(AgentRunResult result) => result.StopReason switch
    {
        AgentStopReason.MaxRoundsReached =>
            $"the agent stopped after {result.Rounds} model calls without a final answer (SkAgents:Agent:MaxRounds).",
        AgentStopReason.TooManyToolErrors =>
            $"the agent stopped because tool calls kept failing: {result.ToolCalls.LastOrDefault(c => c.Error is not null)?.Error}",
        _ => "the agent did not finish.",
    };
}
