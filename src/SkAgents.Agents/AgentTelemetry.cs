using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SkAgents.Agents;

/// <summary>
/// Tracing and metrics of agent runs, named after the OpenTelemetry generative-AI semantic conventions
/// (<c>invoke_agent</c>, <c>chat</c> and <c>execute_tool</c> spans; <c>gen_ai.client.*</c> histograms).
/// Subscribe with an OpenTelemetry SDK or an <see cref="ActivityListener"/>/<see cref="MeterListener"/> to
/// <see cref="SourceName"/>.
/// </summary>
public static class AgentTelemetry
{
    /// <summary>The name of the <see cref="ActivitySource"/> and <see cref="Meter"/>.</summary>
    public const string SourceName = "SkAgents.Agents";

    internal static readonly ActivitySource ActivitySource = new(SourceName, typeof(AgentTelemetry).Assembly.GetName().Version?.ToString());
    internal static readonly Meter Meter = new(SourceName, typeof(AgentTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Histogram<double> OperationDuration = Meter.CreateHistogram<double>(
        "gen_ai.client.operation.duration", unit: "s", description: "Duration of generative-AI operations (model calls, tool executions, agent runs).");

    internal static readonly Histogram<long> TokenUsage = Meter.CreateHistogram<long>(
        "gen_ai.client.token.usage", unit: "{token}", description: "Number of input and output tokens used per model call.");

    /// <summary>OpenTelemetry gen_ai attribute names used on spans and metrics.</summary>
    public static class Attributes
    {
        /// <summary><c>gen_ai.operation.name</c>: chat, execute_tool or invoke_agent.</summary>
        public const string OperationName = "gen_ai.operation.name";

        /// <summary><c>gen_ai.provider.name</c>.</summary>
        public const string ProviderName = "gen_ai.provider.name";

        /// <summary><c>gen_ai.agent.name</c>.</summary>
        public const string AgentName = "gen_ai.agent.name";

        /// <summary><c>gen_ai.request.model</c>.</summary>
        public const string RequestModel = "gen_ai.request.model";

        /// <summary><c>gen_ai.response.model</c>.</summary>
        public const string ResponseModel = "gen_ai.response.model";

        /// <summary><c>gen_ai.response.id</c>.</summary>
        public const string ResponseId = "gen_ai.response.id";

        /// <summary><c>gen_ai.response.finish_reasons</c>.</summary>
        public const string FinishReasons = "gen_ai.response.finish_reasons";

        /// <summary><c>gen_ai.usage.input_tokens</c>.</summary>
        public const string InputTokens = "gen_ai.usage.input_tokens";

        /// <summary><c>gen_ai.usage.output_tokens</c>.</summary>
        public const string OutputTokens = "gen_ai.usage.output_tokens";

        /// <summary><c>gen_ai.token.type</c>: input or output.</summary>
        public const string TokenType = "gen_ai.token.type";

        /// <summary><c>gen_ai.tool.name</c>.</summary>
        public const string ToolName = "gen_ai.tool.name";

        /// <summary><c>gen_ai.tool.call.id</c>.</summary>
        public const string ToolCallId = "gen_ai.tool.call.id";

        /// <summary><c>gen_ai.tool.type</c>.</summary>
        public const string ToolType = "gen_ai.tool.type";

        /// <summary><c>error.type</c>.</summary>
        public const string ErrorType = "error.type";
    }
}
