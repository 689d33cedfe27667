using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SkAgents.Plugins;
using static SkAgents.Agents.AgentTelemetry.Attributes;

namespace SkAgents.Agents;

/// <summary>
/// An agent: instructions, an <see cref="IChatClient"/>, tools and options. A run sends the conversation and the tools
/// to the model, invokes every function call the model returns (concurrently within one turn), sends the results back,
/// and repeats until the model answers or a limit is reached. Tools that require approval go through an
/// <see cref="IToolApprover"/>; failures, unknown tools and denials are reported to the model as tool results.
/// </summary>
/// <remarks>The agent holds no conversation state, so one instance can serve many conversations at once.</remarks>
public sealed class Agent
{
    private readonly IChatClient _chatClient;
    private readonly AgentOptions _options;
    private readonly IToolApprover _approver;
    private readonly ILogger _logger;
    private readonly IServiceProvider? _services;
    private readonly Dictionary<string, AIFunction> _toolsByName;
    private readonly string? _providerName;
    private readonly string? _defaultModel;

    /// <summary>Creates an agent.</summary>
    /// <param name="chatClient">The model. The agent does not dispose it.</param>
    /// <param name="tools">The tools the model may call.</param>
    /// <param name="options">Instructions, limits and model settings.</param>
    /// <param name="approver">Decides on approval-required calls; <see cref="DenyAllToolApprover"/> when null.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="services">Services passed to tools as <see cref="AIFunctionArguments.Services"/>.</param>
    /// <exception cref="ArgumentException">Two tools share a name, or an option is out of range.</exception>
    public Agent(
        IChatClient chatClient,
        IEnumerable<AIFunction>? tools = null,
        AgentOptions? options = null,
        IToolApprover? approver = null,
        ILoggerFactory? loggerFactory = null,
        IServiceProvider? services = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        _chatClient = chatClient;
        _options = options ?? new AgentOptions();
        _options.Validate();
        _approver = approver ?? DenyAllToolApprover.Instance;
        _logger = (ILogger?)loggerFactory?.CreateLogger<Agent>() ?? NullLogger.Instance;
        _services = services;

        _toolsByName = new Dictionary<string, AIFunction>(StringComparer.Ordinal);
        foreach (var tool in tools ?? [])
        {
            ArgumentNullException.ThrowIfNull(tool, nameof(tools));
            if (!_toolsByName.TryAdd(tool.Name, tool))
            {
                throw new ArgumentException($"Two tools are named '{tool.Name}'; tool names must be unique.", nameof(tools));
            }
        }

        Tools = [.. _toolsByName.Values];
        var metadata = chatClient.GetService<ChatClientMetadata>();
        _providerName = metadata?.ProviderName;
        _defaultModel = _options.ChatOptions?.ModelId ?? metadata?.DefaultModelId;
    }

    /// <summary>Gets the agent's name.</summary>
    public string Name => _options.Name;

    /// <summary>Gets the agent's instructions.</summary>
    public string? Instructions => _options.Instructions;

    /// <summary>Gets the tools the model may call.</summary>
    public IReadOnlyList<AIFunction> Tools { get; }

    /// <summary>Runs the agent on one task.</summary>
    /// <param name="task">The user's request.</param>
    /// <param name="cancellationToken">Cancels the run, including model calls and running tools.</param>
    /// <returns>The outcome.</returns>
    public Task<AgentRunResult> RunAsync(string task, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(task);
        return RunAsync([new ChatMessage(ChatRole.User, task)], cancellationToken);
    }

    /// <summary>Runs the agent on a conversation; the result's <see cref="AgentRunResult.Messages"/> continue it.</summary>
    /// <param name="conversation">The conversation so far, ending with the user's turn.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The outcome.</returns>
    public async Task<AgentRunResult> RunAsync(IEnumerable<ChatMessage> conversation, CancellationToken cancellationToken = default)
    {
        AgentRunResult? result = null;
        await foreach (var update in RunCoreAsync(conversation, streaming: false, cancellationToken).ConfigureAwait(false))
        {
            if (update is AgentRunCompleted completed)
            {
                result = completed.Result;
            }
        }

        return result ?? throw new InvalidOperationException("The agent run ended without a result.");
    }

    /// <summary>
    /// Runs the agent on a conversation with streaming: text deltas as the model writes, tool calls as they are
    /// requested and completed, and finally an <see cref="AgentRunCompleted"/> with the outcome.
    /// </summary>
    /// <param name="conversation">The conversation so far, ending with the user's turn.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The run's events.</returns>
    public IAsyncEnumerable<AgentEvent> RunStreamingAsync(IEnumerable<ChatMessage> conversation, CancellationToken cancellationToken = default) =>
        RunCoreAsync(conversation, streaming: true, cancellationToken);

    private async IAsyncEnumerable<AgentEvent> RunCoreAsync(
        IEnumerable<ChatMessage> conversation,
        bool streaming,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var history = conversation.ToList();
        if (history.Count == 0)
        {
            throw new ArgumentException("The conversation is empty; give the agent at least one user message.", nameof(conversation));
        }

        var added = new List<ChatMessage>();
        var toolCalls = new List<ToolCallRecord>();
        var usage = new UsageDetails();
        var consecutiveErrorRounds = 0;
        var stopReason = AgentStopReason.Completed;
        var finalText = string.Empty;
        var rounds = 0;
        var started = Stopwatch.GetTimestamp();

        using var runActivity = AgentTelemetry.ActivitySource.StartActivity($"invoke_agent {Name}", ActivityKind.Internal);
        runActivity?.SetTag(OperationName, "invoke_agent").SetTag(AgentName, Name).SetTag(ProviderName, _providerName).SetTag(RequestModel, _defaultModel);
        _logger.LogDebug("Agent {Agent} starting with {ToolCount} tools.", Name, Tools.Count);

        var chatOptions = CreateChatOptions();
        var finished = false;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                rounds++;

                // One model call.
                ChatResponse response;
                var chatStarted = Stopwatch.GetTimestamp();
                using (var chatActivity = StartChildActivity(runActivity, $"chat {_defaultModel}".TrimEnd(), ActivityKind.Client))
                {
                    chatActivity?.SetTag(OperationName, "chat").SetTag(ProviderName, _providerName).SetTag(RequestModel, _defaultModel);
                    if (streaming)
                    {
                        var updates = new List<ChatResponseUpdate>();
                        var stream = _chatClient.GetStreamingResponseAsync(history, chatOptions, cancellationToken).GetAsyncEnumerator(cancellationToken);
                        await using (stream.ConfigureAwait(false))
                        {
                            while (true)
                            {
                                ChatResponseUpdate update;
                                try
                                {
                                    if (!await stream.MoveNextAsync().ConfigureAwait(false))
                                    {
                                        break;
                                    }

                                    update = stream.Current;
                                }
                                catch (Exception ex)
                                {
                                    RecordChatFailure(chatActivity, chatStarted, ex);
                                    throw;
                                }

                                updates.Add(update);
                                var text = update.Text;
                                if (!string.IsNullOrEmpty(text))
                                {
                                    yield return new AgentTextDelta(text);
                                }
                            }
                        }

                        response = updates.ToChatResponse();
                    }
                    else
                    {
                        response = await GetResponseAsync(history, chatOptions, chatActivity, chatStarted, cancellationToken).ConfigureAwait(false);
                    }

                    RecordChatSuccess(chatActivity, chatStarted, response);
                }

                if (response.Usage is { } roundUsage)
                {
                    usage.Add(roundUsage);
                }

                yield return new AgentRoundCompleted(rounds, response.Usage);

                history.AddRange(response.Messages);
                added.AddRange(response.Messages);

                var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Where(c => !c.InformationalOnly).ToList();
                if (calls.Count == 0)
                {
                    finalText = response.Text;
                    break;
                }

                if (rounds >= _options.MaxRounds)
                {
                    // The model still wants tools but the budget is spent: stop rather than loop forever.
                    stopReason = AgentStopReason.MaxRoundsReached;
                    finalText = response.Text;
                    _logger.LogWarning("Agent {Agent} stopped after {Rounds} model calls with tool calls still pending.", Name, rounds);
                    break;
                }

                // Approvals first, one at a time (an approver may prompt a person), then invoke the approved calls.
                var pending = new List<(FunctionCallContent Call, AIFunction? Tool, ToolCallRecord? Outcome)>(calls.Count);
                foreach (var call in calls)
                {
                    _toolsByName.TryGetValue(call.Name, out var tool);
                    var requiresApproval = tool?.RequiresApproval() == true;
                    yield return new AgentToolCallRequested(call, requiresApproval);

                    ToolCallRecord? outcome = null;
                    if (tool is null)
                    {
                        outcome = Record(call, ToolCallStatus.UnknownTool, null,
                            $"There is no tool named '{call.Name}'. Available tools: {(Tools.Count == 0 ? "none" : string.Join(", ", _toolsByName.Keys))}.");
                    }
                    else if (requiresApproval)
                    {
                        var decision = await _approver.ApproveAsync(new ToolApprovalRequest(Name, call, tool, tool.GetSideEffect()), cancellationToken).ConfigureAwait(false);
                        if (!decision.Approved)
                        {
                            _logger.LogInformation("Tool call {Tool} ({CallId}) was denied.", call.Name, call.CallId);
                            outcome = Record(call, ToolCallStatus.Denied, null,
                                $"The user did not approve this call to '{call.Name}', so it was not run. {decision.Reason}".TrimEnd());
                        }
                    }

                    pending.Add((call, tool, outcome));
                }

                var outcomes = new ToolCallRecord[pending.Count];
                if (_options.AllowConcurrentToolCalls)
                {
                    outcomes = await Task.WhenAll(pending.Select(p =>
                        p.Outcome is null ? InvokeToolAsync(p.Call, p.Tool!, runActivity, cancellationToken) : Task.FromResult(p.Outcome))).ConfigureAwait(false);
                }
                else
                {
                    for (var i = 0; i < pending.Count; i++)
                    {
                        outcomes[i] = pending[i].Outcome ?? await InvokeToolAsync(pending[i].Call, pending[i].Tool!, runActivity, cancellationToken).ConfigureAwait(false);
                    }
                }

                var resultMessage = new ChatMessage(ChatRole.Tool, [.. outcomes.Select(ToResultContent)]);
                history.Add(resultMessage);
                added.Add(resultMessage);
                foreach (var outcome in outcomes)
                {
                    toolCalls.Add(outcome);
                    yield return new AgentToolCallCompleted(outcome);
                }

                consecutiveErrorRounds = outcomes.Any(o => o.Status is ToolCallStatus.Failed or ToolCallStatus.UnknownTool)
                    ? consecutiveErrorRounds + 1
                    : 0;
                if (consecutiveErrorRounds >= _options.MaxConsecutiveToolErrors)
                {
                    stopReason = AgentStopReason.TooManyToolErrors;
                    _logger.LogWarning("Agent {Agent} stopped: tool calls failed in {Rounds} rounds in a row.", Name, consecutiveErrorRounds);
                    break;
                }
            }

            finished = true;
        }
        finally
        {
            if (!finished)
            {
                // An exception or cancellation is propagating (or the caller stopped listening).
                runActivity?.SetStatus(ActivityStatusCode.Error, cancellationToken.IsCancellationRequested ? "canceled" : "failed");
            }

            runActivity?.SetTag(InputTokens, usage.InputTokenCount).SetTag(OutputTokens, usage.OutputTokenCount);

            AgentTelemetry.OperationDuration.Record(
                Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>(OperationName, "invoke_agent"),
                new KeyValuePair<string, object?>(AgentName, Name));
        }

        if (stopReason != AgentStopReason.Completed)
        {
            runActivity?.SetTag(ErrorType, stopReason.ToString());
            runActivity?.SetStatus(ActivityStatusCode.Error, stopReason.ToString());
        }

        _logger.LogDebug("Agent {Agent} finished: {StopReason} after {Rounds} model calls and {ToolCalls} tool calls.", Name, stopReason, rounds, toolCalls.Count);
        yield return new AgentRunCompleted(new AgentRunResult(finalText, added, toolCalls, usage, rounds, stopReason));
    }

    private ChatOptions CreateChatOptions()
    {
        var options = _options.ChatOptions?.Clone() ?? new ChatOptions();
        if (!string.IsNullOrWhiteSpace(_options.Instructions))
        {
            options.Instructions = string.IsNullOrWhiteSpace(options.Instructions)
                ? _options.Instructions
                : _options.Instructions + "\n\n" + options.Instructions;
        }

        if (Tools.Count > 0)
        {
            options.Tools = [.. options.Tools ?? [], .. Tools];
            options.ToolMode ??= ChatToolMode.Auto;
            options.AllowMultipleToolCalls ??= _options.AllowConcurrentToolCalls ? null : false;
        }

        return options;
    }

    private async Task<ChatResponse> GetResponseAsync(List<ChatMessage> history, ChatOptions options, Activity? activity, long started, CancellationToken cancellationToken)
    {
        try
        {
            return await _chatClient.GetResponseAsync(history, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            RecordChatFailure(activity, started, ex);
            throw;
        }
    }

    private void RecordChatSuccess(Activity? activity, long started, ChatResponse response)
    {
        var model = response.ModelId ?? _defaultModel;
        activity?.SetTag(ResponseModel, response.ModelId).SetTag(ResponseId, response.ResponseId)
            .SetTag(InputTokens, response.Usage?.InputTokenCount).SetTag(OutputTokens, response.Usage?.OutputTokenCount);
        if (response.FinishReason is { } finish)
        {
            activity?.SetTag(FinishReasons, new[] { finish.Value });
        }

        var operation = new KeyValuePair<string, object?>(OperationName, "chat");
        var requestModel = new KeyValuePair<string, object?>(RequestModel, model);
        AgentTelemetry.OperationDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, operation, requestModel);
        if (response.Usage?.InputTokenCount is { } input)
        {
            AgentTelemetry.TokenUsage.Record(input, operation, requestModel, new KeyValuePair<string, object?>(TokenType, "input"));
        }

        if (response.Usage?.OutputTokenCount is { } output)
        {
            AgentTelemetry.TokenUsage.Record(output, operation, requestModel, new KeyValuePair<string, object?>(TokenType, "output"));
        }
    }

    private void RecordChatFailure(Activity? activity, long started, Exception exception)
    {
        var errorType = exception is OperationCanceledException ? "canceled" : exception.GetType().FullName;
        activity?.SetTag(ErrorType, errorType).SetStatus(ActivityStatusCode.Error, exception.Message);
        AgentTelemetry.OperationDuration.Record(
            Stopwatch.GetElapsedTime(started).TotalSeconds,
            new KeyValuePair<string, object?>(OperationName, "chat"),
            new KeyValuePair<string, object?>(RequestModel, _defaultModel),
            new KeyValuePair<string, object?>(ErrorType, errorType));
    }

    // An async iterator resumes in its consumer's execution context after each yield, so Activity.Current is not the
    // run's span there: children name their parent explicitly.
    private static Activity? StartChildActivity(Activity? parent, string name, ActivityKind kind) =>
        AgentTelemetry.ActivitySource.StartActivity(name, kind, parent?.Context ?? default);

    private async Task<ToolCallRecord> InvokeToolAsync(FunctionCallContent call, AIFunction tool, Activity? runActivity, CancellationToken cancellationToken)
    {
        // Yield first so that concurrent calls of one turn really run side by side.
        await Task.Yield();
        using var activity = StartChildActivity(runActivity, $"execute_tool {call.Name}", ActivityKind.Internal);
        activity?.SetTag(OperationName, "execute_tool").SetTag(ToolName, call.Name).SetTag(ToolCallId, call.CallId).SetTag(ToolType, "function");
        var started = Stopwatch.GetTimestamp();
        string? errorType = null;
        try
        {
            if (call.Exception is not null)
            {
                // The model's arguments could not be parsed (for example malformed JSON); the tool never runs.
                errorType = call.Exception.GetType().FullName;
                return Record(call, ToolCallStatus.Failed, null, $"The arguments for '{call.Name}' could not be read: {call.Exception.Message}");
            }

            var arguments = new AIFunctionArguments(call.Arguments ?? new Dictionary<string, object?>()) { Services = _services };
            _logger.LogDebug("Invoking tool {Tool} ({CallId}).", call.Name, call.CallId);
            var result = await tool.InvokeAsync(arguments, cancellationToken).ConfigureAwait(false);
            var duration = Stopwatch.GetElapsedTime(started);
            _logger.LogInformation("Tool {Tool} ({CallId}) succeeded in {Milliseconds:F0} ms.", call.Name, call.CallId, duration.TotalMilliseconds);
            return new ToolCallRecord(call.CallId, call.Name, call.Arguments, ToolCallStatus.Succeeded, result, null, duration);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            errorType = "canceled";
            throw;
        }
        catch (Exception ex)
        {
            errorType = ex.GetType().FullName;
            _logger.LogWarning(ex, "Tool {Tool} ({CallId}) failed.", call.Name, call.CallId);
            var detail = _options.IncludeToolErrorDetails ? $": {DescribeError(ex)}" : ".";
            return Record(call, ToolCallStatus.Failed, null, $"The tool '{call.Name}' failed{detail}", Stopwatch.GetElapsedTime(started));
        }
        finally
        {
            if (errorType is not null)
            {
                activity?.SetTag(ErrorType, errorType).SetStatus(ActivityStatusCode.Error);
            }

            AgentTelemetry.OperationDuration.Record(
                Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>(OperationName, "execute_tool"),
                new KeyValuePair<string, object?>(ToolName, call.Name),
                new KeyValuePair<string, object?>(ErrorType, errorType));
        }
    }

    private static string DescribeError(Exception exception) => exception switch
    {
        // Timeouts inside a tool surface as cancellations we did not ask for.
        OperationCanceledException => "it timed out or was cancelled.",
        JsonException json => $"an argument has the wrong type or shape ({json.Message})",
        _ => exception.Message,
    };

    private static ToolCallRecord Record(FunctionCallContent call, ToolCallStatus status, object? result, string? error, TimeSpan duration = default) =>
        new(call.CallId, call.Name, call.Arguments, status, result, error, duration);

    private static FunctionResultContent ToResultContent(ToolCallRecord record) =>
        record.Status == ToolCallStatus.Succeeded
            ? new FunctionResultContent(record.CallId, record.Result)
            : new FunctionResultContent(record.CallId, "Error: " + record.Error);
}
