using Microsoft.Extensions.AI;

namespace SkAgents.Prompts;

/// <summary>
/// A prompt function that can also be rendered to chat messages without calling a model, for hosts that hand the
/// prompt to someone else's model (an MCP client's <c>prompts/get</c>, for example).
/// </summary>
public interface IRenderablePrompt
{
    /// <summary>Renders the prompt's template with <paramref name="arguments"/> into chat messages.</summary>
    /// <param name="arguments">The template variables.</param>
    /// <param name="cancellationToken">Cancels rendering.</param>
    /// <returns>The rendered messages, in order.</returns>
    /// <exception cref="ArgumentException">A required variable is missing (all missing ones are named).</exception>
    Task<IReadOnlyList<ChatMessage>> RenderMessagesAsync(AIFunctionArguments? arguments = null, CancellationToken cancellationToken = default);
}
