using Microsoft.Extensions.AI;

namespace SkAgents.Prompts;

/// <summary>A rendered prompt: its text, the chat messages parsed from it, and the chat options from its execution settings.</summary>
/// <param name="Text">The rendered template text.</param>
/// <param name="Messages">The chat messages parsed from <paramref name="Text"/>.</param>
/// <param name="Options">The chat options from the execution settings, or <see langword="null"/> when none apply.</param>
public sealed record RenderedPrompt(string Text, IList<ChatMessage> Messages, ChatOptions? Options);
