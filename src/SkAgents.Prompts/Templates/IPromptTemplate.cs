using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace SkAgents.Prompts;

/// <summary>A compiled prompt template that renders to prompt text (which may hold <c>&lt;message role="..."&gt;</c> tags).</summary>
public interface IPromptTemplate
{
    /// <summary>Renders the template.</summary>
    /// <param name="arguments">The variable values (and the services handed to template functions); missing variables take their defaults or render empty.</param>
    /// <param name="cancellationToken">Cancels rendering, including template function calls.</param>
    /// <returns>The rendered prompt text.</returns>
    /// <exception cref="PromptTemplateException">The template calls a function that is not available, or a function call is invalid.</exception>
    ValueTask<string> RenderAsync(AIFunctionArguments? arguments = null, CancellationToken cancellationToken = default);
}

/// <summary>Options for <see cref="PromptTemplateFactory.Create"/>.</summary>
public sealed class PromptTemplateOptions
{
    /// <summary>
    /// Gets or sets a value indicating whether every inserted value (variables, function results, literals) is trusted and inserted
    /// without HTML encoding. Only use this when all inputs are trusted: variables can then add chat messages.
    /// </summary>
    public bool AllowDangerouslySetContent { get; set; }

    /// <summary>Gets or sets the logger factory (missing variables are logged as warnings).</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}

/// <summary>Creates the template for a prompt configuration's <c>template_format</c>.</summary>
public static class PromptTemplateFactory
{
    /// <summary>Compiles a prompt template.</summary>
    /// <param name="config">The prompt configuration.</param>
    /// <param name="functions">
    /// The functions the template may call: <c>{{plugin.function}}</c> (semantic-kernel) resolves to the tool <c>plugin_function</c>,
    /// a bare name to the tool of that name; in handlebars each function is a helper named both by its tool name and <c>plugin-function</c>.
    /// </param>
    /// <param name="options">Encoding and logging options.</param>
    /// <returns>The compiled template.</returns>
    /// <exception cref="PromptConfigurationException">The template format is unknown.</exception>
    /// <exception cref="PromptTemplateException">The template is malformed.</exception>
    public static IPromptTemplate Create(PromptTemplateConfig config, IEnumerable<AIFunction>? functions = null, PromptTemplateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var context = new TemplateContext(config, functions, options ?? new PromptTemplateOptions());
        if (string.Equals(config.TemplateFormat, PromptTemplateConfig.SemanticKernelTemplateFormat, StringComparison.OrdinalIgnoreCase))
        {
            return new SemanticKernelPromptTemplate(context);
        }

        if (string.Equals(config.TemplateFormat, PromptTemplateConfig.HandlebarsTemplateFormat, StringComparison.OrdinalIgnoreCase))
        {
            return new HandlebarsPromptTemplate(context);
        }

        throw new PromptConfigurationException(null, PromptTemplateConfig.UnknownFormatMessage(config.TemplateFormat));
    }
}
