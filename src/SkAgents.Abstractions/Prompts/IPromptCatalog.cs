using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.AI;

namespace SkAgents.Prompts;

/// <summary>
/// A set of named prompt functions (for example the files in <c>prompts/</c>), each exposed as an <see cref="AIFunction"/>.
/// Plugins that need a prompt (a caption writer, a style imitator) take this interface rather than a concrete loader,
/// so they depend on the core abstractions only.
/// </summary>
public interface IPromptCatalog
{
    /// <summary>Gets every prompt function in the catalog, ordered by name.</summary>
    IReadOnlyList<AIFunction> Prompts { get; }

    /// <summary>Looks a prompt function up by its name (case-insensitive).</summary>
    /// <param name="name">The prompt's name, as declared by its <c>name</c> field.</param>
    /// <param name="prompt">The prompt function, when found.</param>
    /// <returns><see langword="true"/> when the catalog holds a prompt of that name.</returns>
    bool TryGetPrompt(string name, [NotNullWhen(true)] out AIFunction? prompt);
}

/// <summary>Convenience members for <see cref="IPromptCatalog"/>.</summary>
public static class PromptCatalogExtensions
{
    /// <summary>Gets a prompt function by name, or throws an error that lists the names the catalog does hold.</summary>
    /// <param name="catalog">The catalog to search.</param>
    /// <param name="name">The prompt's name.</param>
    /// <returns>The prompt function.</returns>
    /// <exception cref="KeyNotFoundException">No prompt has that name.</exception>
    public static AIFunction GetPrompt(this IPromptCatalog catalog, string name)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (catalog.TryGetPrompt(name, out var prompt))
        {
            return prompt;
        }

        var known = catalog.Prompts.Count == 0 ? "none" : string.Join(", ", catalog.Prompts.Select(p => p.Name));
        throw new KeyNotFoundException($"No prompt named '{name}' is loaded. Loaded prompts: {known}.");
    }
}
