using System.ComponentModel;
using SkAgents.Memory.Storage;
using SkAgents.Plugins;

namespace SkAgents.Memory.Plugin;

/// <summary>
/// Memory as tools for an agent: search, ask and save text. Results are data from the user's documents, returned with
/// their sources so the model can cite them.
/// </summary>
[Plugin("memory")]
[Description("Long-term memory over the user's documents: search, ask with cited sources, save text and web pages.")]
public sealed class MemoryPlugin
{
    private readonly MemoryService _memory;

    /// <summary>Creates the plugin.</summary>
    /// <param name="memory">The memory to use.</param>
    public MemoryPlugin(MemoryService memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
    }

    /// <summary>Searches memory.</summary>
    /// <param name="query">What to look for.</param>
    /// <param name="limit">The most passages.</param>
    /// <param name="minRelevance">The lowest relevance, 0 to 1.</param>
    /// <param name="tag">An optional tag filter, key=value.</param>
    /// <param name="index">The index; the default one when omitted.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>Matching passages with their sources and relevance.</returns>
    [ReadOnlyTool]
    [Description("Searches the user's documents and returns matching passages with their source and relevance.")]
    public async Task<IReadOnlyList<MemoryPassage>> SearchAsync(
        [Description("What to look for.")] string query,
        [Description("The most passages to return.")] int limit = 5,
        [Description("The lowest relevance, from 0 to 1.")] double minRelevance = 0,
        [Description("Optional tag filter as key=value.")] string? tag = null,
        [Description("The index to search; the default one when omitted.")] string? index = null,
        CancellationToken cancellationToken = default)
    {
        var result = await _memory.SearchAsync(query, index, Filters(tag), minRelevance, limit, cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. result.Results
            .SelectMany(c => c.Partitions.Select(p => new MemoryPassage(c.SourceName, c.DocumentId, p.SectionPath, p.Text, Math.Round(p.Relevance, 4))))
            .OrderByDescending(p => p.Relevance)];
    }

    /// <summary>Answers a question from memory.</summary>
    /// <param name="question">The question.</param>
    /// <param name="tag">An optional tag filter, key=value.</param>
    /// <param name="index">The index.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The answer with numbered sources.</returns>
    [ReadOnlyTool]
    [Description("Answers a question from the user's documents, citing sources as [n]; says so when memory holds nothing relevant.")]
    public Task<MemoryAnswer> AskAsync(
        [Description("The question.")] string question,
        [Description("Optional tag filter as key=value.")] string? tag = null,
        [Description("The index; the default one when omitted.")] string? index = null,
        CancellationToken cancellationToken = default) =>
        _memory.AskAsync(question, index, Filters(tag), cancellationToken: cancellationToken);

    /// <summary>Saves text into memory.</summary>
    /// <param name="text">The text.</param>
    /// <param name="documentId">An id; derived from the text when omitted (saving the same text again changes nothing).</param>
    /// <param name="tag">An optional tag, key=value.</param>
    /// <param name="index">The index.</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    /// <returns>The document id and whether it was written.</returns>
    [Description("Saves text into the user's memory so it can be searched later.")]
    public Task<ImportResult> SaveTextAsync(
        [Description("The text to remember.")] string text,
        [Description("An id for the document; derived from the text when omitted.")] string? documentId = null,
        [Description("Optional tag as key=value.")] string? tag = null,
        [Description("The index; the default one when omitted.")] string? index = null,
        CancellationToken cancellationToken = default)
    {
        var tags = ParseTag(tag) is { } pair ? new Dictionary<string, IReadOnlyList<string>> { [pair.Key] = [pair.Value] } : null;
        return _memory.ImportTextAsync(text, documentId, tags, index, cancellationToken: cancellationToken);
    }

    /// <summary>Saves a web page's main content into memory.</summary>
    /// <param name="url">The page.</param>
    /// <param name="tag">An optional tag, key=value.</param>
    /// <param name="index">The index.</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    /// <returns>The document id and whether it was written (unchanged pages are not written again).</returns>
    [Description("Fetches a web page (http or https) and saves its main content into the user's memory, citing the page's URL later. Private and local network addresses are refused.")]
    public Task<ImportResult> SaveWebPageAsync(
        [Description("The page's absolute http or https URL.")] string url,
        [Description("Optional tag as key=value.")] string? tag = null,
        [Description("The index; the default one when omitted.")] string? index = null,
        CancellationToken cancellationToken = default)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new ArgumentException($"'{url}' is not an absolute URL.", nameof(url));
        }

        var tags = ParseTag(tag) is { } pair ? new Dictionary<string, IReadOnlyList<string>> { [pair.Key] = [pair.Value] } : null;
        return _memory.ImportWebPageAsync(uri, tags: tags, index: index, cancellationToken: cancellationToken);
    }

    private static List<MemoryFilter>? Filters(string? tag) => ParseTag(tag) is { } pair ? [MemoryFilter.ByTag(pair.Key, pair.Value)] : null;

    private static KeyValuePair<string, string>? ParseTag(string? tag)
    {
        if (string.IsNullOrWhiteSpace(tag))
        {
            return null;
        }

        var equals = tag.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new ArgumentException($"The tag '{tag}' is not of the form key=value.", nameof(tag));
        }

        return new(tag[..equals].Trim(), tag[(equals + 1)..].Trim());
    }
}

/// <summary>A passage found in memory.</summary>
/// <param name="Source">The document's source name.</param>
/// <param name="DocumentId">The document id.</param>
/// <param name="Section">The heading path, if any.</param>
/// <param name="Text">The passage.</param>
/// <param name="Relevance">How well it matched, 0 to 1.</param>
public sealed record MemoryPassage(string Source, string DocumentId, string? Section, string Text, double Relevance);
