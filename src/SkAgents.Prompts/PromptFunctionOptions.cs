using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace SkAgents.Prompts;

/// <summary>Options for a <see cref="PromptFunction"/>.</summary>
public sealed class PromptFunctionOptions
{
    /// <summary>Gets or sets the functions the template may call (and that <c>function_choice_behavior</c> may offer the model).</summary>
    public IEnumerable<AIFunction>? TemplateFunctions { get; set; }

    /// <summary>
    /// Gets or sets the AI service id: it picks the <c>execution_settings</c> entry (falling back to <c>default</c>) and, when the
    /// chat client comes from the invocation's services, the keyed <see cref="IChatClient"/>.
    /// </summary>
    public string? ServiceId { get; set; }

    /// <summary>Gets or sets a value indicating whether every inserted value is trusted and inserted without HTML encoding (variables can then add chat messages).</summary>
    public bool AllowDangerouslySetContent { get; set; }

    /// <summary>Gets or sets the logger factory.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Gets or sets the file (or other source) the prompt came from, for error messages.</summary>
    public string? SourceName { get; set; }
}
