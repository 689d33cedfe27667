using Microsoft.Extensions.AI;

namespace SkAgents.Prompts;

/// <summary>
/// A prompt (an <see cref="AIFunction"/> from an <see cref="IPromptCatalog"/>) that can also stream the model's answer,
/// so callers that stream (ask, chat) need not depend on a concrete prompt implementation.
/// </summary>
public interface IStreamingPrompt
{
    /// <summary>Renders the prompt and streams the model's answer text.</summary>
    /// <param name="arguments">The variable values (and services, such as the chat client).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer text, piece by piece.</returns>
    IAsyncEnumerable<string> InvokeStreamingAsync(AIFunctionArguments? arguments = null, CancellationToken cancellationToken = default);
}
