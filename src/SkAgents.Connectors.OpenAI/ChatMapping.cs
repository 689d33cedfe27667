// OPENAI001: developer messages, audio/file parts and Seed are marked experimental in the OpenAI SDK but are stable wire features.
#pragma warning disable OPENAI001
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.AI;
using OpenAIChat = global::OpenAI.Chat;

namespace SkAgents.Connectors.OpenAI;

/// <summary>Maps between Microsoft.Extensions.AI chat types and the OpenAI SDK's chat types.</summary>
internal static class ChatMapping
{
    private static readonly JsonTypeInfo<IDictionary<string, object?>> ArgumentsTypeInfo =
        (JsonTypeInfo<IDictionary<string, object?>>)AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>));

    // ---------------------------------------------------------------- requests

    public static List<OpenAIChat.ChatMessage> ToOpenAIMessages(IEnumerable<ChatMessage> messages, string? instructions)
    {
        var result = new List<OpenAIChat.ChatMessage>();
        if (!string.IsNullOrWhiteSpace(instructions))
        {
            result.Add(new OpenAIChat.SystemChatMessage(instructions));
        }

        foreach (ChatMessage message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            AddMessage(result, message);
        }

        return result;
    }

    private static void AddMessage(List<OpenAIChat.ChatMessage> result, ChatMessage message)
    {
        ChatRole role = message.Role;
        if (role == ChatRole.System || string.Equals(role.Value, "developer", StringComparison.OrdinalIgnoreCase))
        {
            string text = ConcatText(message.Contents);
            result.Add(role == ChatRole.System ? new OpenAIChat.SystemChatMessage(text) : new OpenAIChat.DeveloperChatMessage(text));
            return;
        }

        if (role == ChatRole.Assistant)
        {
            AddAssistantMessage(result, message);
            return;
        }

        // Tool results may arrive in tool-role messages (the norm) or mixed into other messages; each becomes a tool message.
        foreach (FunctionResultContent functionResult in message.Contents.OfType<FunctionResultContent>())
        {
            result.Add(new OpenAIChat.ToolChatMessage(functionResult.CallId, SerializeResult(functionResult)));
        }

        if (role == ChatRole.Tool)
        {
            return;
        }

        // User (and unknown roles, treated as user).
        List<OpenAIChat.ChatMessageContentPart> parts = ToUserParts(message.Contents);
        if (parts.Count == 0)
        {
            return;
        }

        OpenAIChat.UserChatMessage user = parts.Count == 1 && parts[0].Kind == OpenAIChat.ChatMessageContentPartKind.Text
            ? new OpenAIChat.UserChatMessage(parts[0].Text)
            : new OpenAIChat.UserChatMessage(parts);
        result.Add(user);
    }

    private static void AddAssistantMessage(List<OpenAIChat.ChatMessage> result, ChatMessage message)
    {
        string text = ConcatText(message.Contents);
        var toolCalls = new List<OpenAIChat.ChatToolCall>();
        foreach (FunctionCallContent call in message.Contents.OfType<FunctionCallContent>())
        {
            string arguments = JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), ArgumentsTypeInfo);
            toolCalls.Add(OpenAIChat.ChatToolCall.CreateFunctionToolCall(call.CallId, call.Name, BinaryData.FromString(arguments)));
        }

        if (toolCalls.Count > 0)
        {
            var assistant = new OpenAIChat.AssistantChatMessage(toolCalls);
            if (text.Length > 0)
            {
                assistant.Content.Add(OpenAIChat.ChatMessageContentPart.CreateTextPart(text));
            }

            result.Add(assistant);
        }
        else if (text.Length > 0)
        {
            result.Add(new OpenAIChat.AssistantChatMessage(text));
        }
    }

    private static List<OpenAIChat.ChatMessageContentPart> ToUserParts(IList<AIContent> contents)
    {
        var parts = new List<OpenAIChat.ChatMessageContentPart>();
        foreach (AIContent content in contents)
        {
            switch (content)
            {
                case TextContent text when !string.IsNullOrEmpty(text.Text):
                    parts.Add(OpenAIChat.ChatMessageContentPart.CreateTextPart(text.Text));
                    break;

                case DataContent data when data.HasTopLevelMediaType("image"):
                    parts.Add(OpenAIChat.ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes(data.Data), data.MediaType, null));
                    break;

                case DataContent data when data.MediaType is "audio/wav" or "audio/x-wav" or "audio/wave":
                    parts.Add(OpenAIChat.ChatMessageContentPart.CreateInputAudioPart(BinaryData.FromBytes(data.Data), OpenAIChat.ChatInputAudioFormat.Wav));
                    break;

                case DataContent data when data.MediaType is "audio/mpeg" or "audio/mp3":
                    parts.Add(OpenAIChat.ChatMessageContentPart.CreateInputAudioPart(BinaryData.FromBytes(data.Data), OpenAIChat.ChatInputAudioFormat.Mp3));
                    break;

                case DataContent data when data.MediaType == "application/pdf":
                    parts.Add(OpenAIChat.ChatMessageContentPart.CreateFilePart(BinaryData.FromBytes(data.Data), data.MediaType, data.Name ?? "document.pdf"));
                    break;

                case DataContent data:
                    throw new NotSupportedException(
                        $"DataContent with media type '{data.MediaType}' is not supported in user messages; supported are images, WAV/MP3 audio and PDF files.");

                case UriContent uri when uri.HasTopLevelMediaType("image"):
                    parts.Add(OpenAIChat.ChatMessageContentPart.CreateImagePart(uri.Uri, null));
                    break;

                case UriContent uri:
                    throw new NotSupportedException(
                        $"UriContent with media type '{uri.MediaType}' is not supported in user messages; only image URIs are.");

                default:
                    // Usage, reasoning and other informational contents are not sent.
                    break;
            }
        }

        return parts;
    }

    private static string ConcatText(IList<AIContent> contents)
    {
        var builder = new StringBuilder();
        foreach (AIContent content in contents)
        {
            if (content is TextContent text)
            {
                builder.Append(text.Text);
            }
        }

        return builder.ToString();
    }

    /// <summary>A function result as the tool message text: strings verbatim, everything else as JSON.</summary>
    internal static string SerializeResult(FunctionResultContent functionResult)
    {
        object? value = functionResult.Result;
        switch (value)
        {
            case null when functionResult.Exception is not null:
                return "Error: " + functionResult.Exception.Message;
            case null:
                return "null";
            case string text:
                return text;
            case JsonElement element:
                return element.GetRawText();
            case TextContent textContent:
                return textContent.Text;
        }

        try
        {
            return JsonSerializer.Serialize(value, AIJsonUtilities.DefaultOptions.GetTypeInfo(value.GetType()));
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or JsonException)
        {
            return value.ToString() ?? string.Empty;
        }
    }

#pragma warning disable SCME0001 // JsonPatch adds fields the SDK does not model (max_tokens, top_k).
    public static OpenAIChat.ChatCompletionOptions ToCompletionOptions(
        ChatOptions? options,
        IChatClient client,
        OpenAICompatibleClientOptions settings)
    {
        var result = options?.RawRepresentationFactory?.Invoke(client) as OpenAIChat.ChatCompletionOptions ?? new OpenAIChat.ChatCompletionOptions();
        if (options is null)
        {
            return result;
        }

        result.Temperature ??= options.Temperature;
        result.TopP ??= options.TopP;
        result.FrequencyPenalty ??= options.FrequencyPenalty;
        result.PresencePenalty ??= options.PresencePenalty;
        result.Seed ??= options.Seed;

        if (options.MaxOutputTokens is int maxTokens && result.MaxOutputTokenCount is null)
        {
            if (settings.SendMaxTokensField)
            {
                result.Patch.Set("$.max_tokens"u8, maxTokens);
            }
            else
            {
                result.MaxOutputTokenCount = maxTokens;
            }
        }

        if (options.TopK is int topK && settings.Provider is not (OpenAICompatibleProvider.OpenAI or OpenAICompatibleProvider.AzureOpenAI))
        {
            // Not part of OpenAI's API, but vLLM, llama.cpp, LM Studio and others accept it.
            result.Patch.Set("$.top_k"u8, topK);
        }

        if (options.StopSequences is { Count: > 0 } stops)
        {
            foreach (string stop in stops)
            {
                result.StopSequences.Add(stop);
            }
        }

        result.ResponseFormat ??= options.ResponseFormat switch
        {
            null => null,
            ChatResponseFormatText => OpenAIChat.ChatResponseFormat.CreateTextFormat(),
            ChatResponseFormatJson { Schema: { } schema } json => OpenAIChat.ChatResponseFormat.CreateJsonSchemaFormat(
                SanitizeSchemaName(json.SchemaName),
                BinaryData.FromString(schema.GetRawText()),
                json.SchemaDescription,
                jsonSchemaIsStrict: null),
            ChatResponseFormatJson => OpenAIChat.ChatResponseFormat.CreateJsonObjectFormat(),
            _ => null,
        };

        if (options.Tools is { Count: > 0 } tools)
        {
            foreach (AITool tool in tools)
            {
                if (tool is AIFunctionDeclaration function)
                {
                    result.Tools.Add(OpenAIChat.ChatTool.CreateFunctionTool(
                        function.Name,
                        function.Description,
                        BinaryData.FromString(function.JsonSchema.GetRawText()),
                        functionSchemaIsStrict: null));
                }
            }

            if (result.Tools.Count > 0)
            {
                result.ToolChoice ??= options.ToolMode switch
                {
                    NoneChatToolMode => OpenAIChat.ChatToolChoice.CreateNoneChoice(),
                    AutoChatToolMode => OpenAIChat.ChatToolChoice.CreateAutoChoice(),
                    RequiredChatToolMode { RequiredFunctionName: { } name } => OpenAIChat.ChatToolChoice.CreateFunctionChoice(name),
                    RequiredChatToolMode => OpenAIChat.ChatToolChoice.CreateRequiredChoice(),
                    _ => null,
                };

                // parallel_tool_calls is only valid alongside tools.
                result.AllowParallelToolCalls ??= options.AllowMultipleToolCalls;
            }
        }

        return result;
    }
#pragma warning restore SCME0001

    private static string SanitizeSchemaName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "response";
        }

        var builder = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_');
        }

        return builder.Length > 64 ? builder.ToString(0, 64) : builder.ToString();
    }

    // ---------------------------------------------------------------- responses

    public static ChatResponse ToChatResponse(OpenAIChat.ChatCompletion completion)
    {
        var contents = new List<AIContent>();
        OpenAIChat.ChatMessageContent content;
        try
        {
            content = completion.Content;
        }
        catch (ArgumentOutOfRangeException ex)
        {
            // The SDK reads choices[0]; an empty "choices" array surfaces as an index error.
            throw new InvalidDataException("The chat completion has no choices.", ex);
        }

        string text = ConcatParts(content);
        if (text.Length > 0)
        {
            contents.Add(new TextContent(text));
        }

        if (!string.IsNullOrEmpty(completion.Refusal))
        {
            contents.Add(new ErrorContent(completion.Refusal) { ErrorCode = "refusal" });
        }

        foreach (OpenAIChat.ChatToolCall toolCall in completion.ToolCalls)
        {
            contents.Add(ParseFunctionCall(toolCall.Id, toolCall.FunctionName, toolCall.FunctionArguments?.ToString()));
        }

        var message = new ChatMessage(ToChatRole(completion.Role), contents)
        {
            MessageId = completion.Id,
            CreatedAt = completion.CreatedAt,
            RawRepresentation = completion,
        };

        return new ChatResponse(message)
        {
            ResponseId = completion.Id,
            ModelId = completion.Model,
            CreatedAt = completion.CreatedAt,
            FinishReason = ToFinishReason(completion.FinishReason),
            Usage = ToUsage(completion.Usage),
            RawRepresentation = completion,
        };
    }

    public static ChatResponseUpdate ToUpdate(OpenAIChat.StreamingChatCompletionUpdate update, StreamingToolCallAccumulator toolCalls)
    {
        var contents = new List<AIContent>();
        foreach (OpenAIChat.ChatMessageContentPart part in update.ContentUpdate)
        {
            if (part.Kind == OpenAIChat.ChatMessageContentPartKind.Text && !string.IsNullOrEmpty(part.Text))
            {
                contents.Add(new TextContent(part.Text));
            }
        }

        if (!string.IsNullOrEmpty(update.RefusalUpdate))
        {
            contents.Add(new ErrorContent(update.RefusalUpdate) { ErrorCode = "refusal" });
        }

        foreach (OpenAIChat.StreamingChatToolCallUpdate toolCall in update.ToolCallUpdates)
        {
            toolCalls.Add(toolCall.Index, toolCall.ToolCallId, toolCall.FunctionName, toolCall.FunctionArgumentsUpdate?.ToString());
        }

        ChatFinishReason? finishReason = null;
        if (update.FinishReason is { } reason)
        {
            finishReason = ToFinishReason(reason);
            contents.AddRange(toolCalls.Complete());
        }

        if (update.Usage is { } usage)
        {
            contents.Add(new UsageContent(ToUsage(usage)!));
        }

        return new ChatResponseUpdate(update.Role is { } role ? ToChatRole(role) : ChatRole.Assistant, contents)
        {
            ResponseId = update.CompletionId,
            MessageId = update.CompletionId,
            ModelId = update.Model,
            CreatedAt = update.CreatedAt == default ? null : update.CreatedAt,
            FinishReason = finishReason,
            RawRepresentation = update,
        };
    }

    internal static FunctionCallContent ParseFunctionCall(string callId, string name, string? argumentsJson)
    {
        if (string.IsNullOrWhiteSpace(argumentsJson))
        {
            return new FunctionCallContent(callId, name, new Dictionary<string, object?>());
        }

        return FunctionCallContent.CreateFromParsedArguments(
            argumentsJson,
            callId,
            name,
            static json => JsonSerializer.Deserialize(json, ArgumentsTypeInfo));
    }

    private static string ConcatParts(OpenAIChat.ChatMessageContent content)
    {
        var builder = new StringBuilder();
        foreach (OpenAIChat.ChatMessageContentPart part in content)
        {
            if (part.Kind == OpenAIChat.ChatMessageContentPartKind.Text)
            {
                builder.Append(part.Text);
            }
        }

        return builder.ToString();
    }

    private static ChatRole ToChatRole(OpenAIChat.ChatMessageRole role) => role switch
    {
        OpenAIChat.ChatMessageRole.System or OpenAIChat.ChatMessageRole.Developer => ChatRole.System,
        OpenAIChat.ChatMessageRole.User => ChatRole.User,
        OpenAIChat.ChatMessageRole.Tool or OpenAIChat.ChatMessageRole.Function => ChatRole.Tool,
        _ => ChatRole.Assistant,
    };

    internal static ChatFinishReason ToFinishReason(OpenAIChat.ChatFinishReason reason) => reason switch
    {
        OpenAIChat.ChatFinishReason.Length => ChatFinishReason.Length,
        OpenAIChat.ChatFinishReason.ToolCalls or OpenAIChat.ChatFinishReason.FunctionCall => ChatFinishReason.ToolCalls,
        OpenAIChat.ChatFinishReason.ContentFilter => ChatFinishReason.ContentFilter,
        _ => ChatFinishReason.Stop,
    };

    internal static UsageDetails? ToUsage(OpenAIChat.ChatTokenUsage? usage)
    {
        if (usage is null)
        {
            return null;
        }

        var details = new UsageDetails
        {
            InputTokenCount = usage.InputTokenCount,
            OutputTokenCount = usage.OutputTokenCount,
            TotalTokenCount = usage.TotalTokenCount,
        };

        if (usage.InputTokenDetails is { } input)
        {
            details.CachedInputTokenCount = input.CachedTokenCount;
        }

        if (usage.OutputTokenDetails is { } output)
        {
            details.ReasoningTokenCount = output.ReasoningTokenCount;
        }

        return details;
    }
}

/// <summary>Collects streamed tool-call fragments by index until the choice finishes.</summary>
internal sealed class StreamingToolCallAccumulator
{
    private readonly SortedDictionary<int, Builder> _calls = [];

    public bool HasPending => _calls.Count > 0;

    public void Add(int index, string? id, string? name, string? argumentsFragment)
    {
        if (!_calls.TryGetValue(index, out Builder? builder))
        {
            builder = new Builder();
            _calls[index] = builder;
        }

        if (!string.IsNullOrEmpty(id))
        {
            builder.Id = id;
        }

        if (!string.IsNullOrEmpty(name))
        {
            builder.Name = name;
        }

        if (!string.IsNullOrEmpty(argumentsFragment))
        {
            builder.Arguments.Append(argumentsFragment);
        }
    }

    /// <summary>Returns the complete calls gathered so far and forgets them.</summary>
    public List<FunctionCallContent> Complete()
    {
        var result = new List<FunctionCallContent>(_calls.Count);
        foreach ((int index, Builder builder) in _calls)
        {
            string id = builder.Id ?? $"call_{index}";
            string name = builder.Name ?? string.Empty;
            result.Add(ChatMapping.ParseFunctionCall(id, name, builder.Arguments.ToString()));
        }

        _calls.Clear();
        return result;
    }

    private sealed class Builder
    {
        public string? Id { get; set; }

        public string? Name { get; set; }

        public StringBuilder Arguments { get; } = new();
    }
}
