using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SkAgents.Memory;

namespace SkAgents.Plugins.Notion;

/// <summary>How <see cref="NotionImporter"/> imports pages.</summary>
public sealed class NotionImportOptions
{
    /// <summary>Gets or sets whether child pages (at any depth) are imported too. Default false.</summary>
    public bool IncludeChildPages { get; set; }

    /// <summary>Gets or sets the most pages one import reads, child pages included. Default 200.</summary>
    public int MaxPages { get; set; } = 200;

    /// <summary>Gets or sets the memory index; the default one when null.</summary>
    public string? Index { get; set; }
}

/// <summary>The outcome of importing one page.</summary>
/// <param name="PageId">The page id.</param>
/// <param name="Title">Its title (empty when it could not be read).</param>
/// <param name="Url">Its URL.</param>
/// <param name="DocumentId">The memory document id (<c>notion-</c> + the 32-digit page id).</param>
/// <param name="Status"><c>imported</c>, <c>unchanged</c> or <c>failed</c>.</param>
/// <param name="Partitions">How many partitions the document has.</param>
/// <param name="Error">Why it failed, when it did.</param>
public sealed record NotionImportResult(string PageId, string Title, string Url, string DocumentId, string Status, int Partitions, string? Error = null);

/// <summary>
/// Imports Notion pages into memory: each page becomes one Markdown document whose id is derived from the page id
/// (<c>notion-{32 hex digits}</c>), tagged <c>source=notion</c> and <c>notion_page_id</c>, with the page URL as its
/// source name. Re-importing an unchanged page writes nothing (<see cref="ImportStatus.Unchanged"/>); a changed page
/// replaces the old document.
/// </summary>
public sealed class NotionImporter
{
    private readonly NotionClient _client;
    private readonly MemoryService _memory;
    private readonly ILogger _logger;

    /// <summary>Creates the importer.</summary>
    /// <param name="client">The Notion client.</param>
    /// <param name="memory">The memory to import into.</param>
    /// <param name="logger">Logging.</param>
    public NotionImporter(NotionClient client, MemoryService memory, ILogger<NotionImporter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(memory);
        _client = client;
        _memory = memory;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Gets the memory document id of a page.</summary>
    /// <param name="pageId">The page id (any form).</param>
    /// <returns><c>notion-</c> + the 32-digit id.</returns>
    public static string DocumentIdFor(string pageId) => "notion-" + NotionIds.Compact(NotionIds.Parse(pageId));

    /// <summary>Imports pages (and, optionally, their child pages).</summary>
    /// <param name="pages">Page ids or URLs.</param>
    /// <param name="options">What to import and where.</param>
    /// <param name="cancellationToken">Cancels the import between pages.</param>
    /// <returns>One result per page read, in order. A page that is missing or not shared is reported as failed and the others still import.</returns>
    /// <exception cref="ArgumentException">An entry is not a Notion id or URL.</exception>
    /// <exception cref="NotionUnauthorizedException">The token is invalid (nothing can be imported).</exception>
    public async Task<IReadOnlyList<NotionImportResult>> ImportAsync(IEnumerable<string> pages, NotionImportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pages);
        options ??= new NotionImportOptions();
        var queue = new Queue<string>(pages.Select(NotionIds.Parse));
        if (queue.Count == 0)
        {
            throw new ArgumentException("Give at least one Notion page id or URL to import.", nameof(pages));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var results = new List<NotionImportResult>();
        while (queue.Count > 0 && results.Count < options.MaxPages)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var id = queue.Dequeue();
            if (!seen.Add(id))
            {
                continue;
            }

            var documentId = DocumentIdFor(id);
            try
            {
                var content = await _client.ReadPageAsMarkdownAsync(id, cancellationToken).ConfigureAwait(false);
                var tags = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
                {
                    ["source"] = ["notion"],
                    ["notion_page_id"] = [NotionIds.Compact(id)],
                };
                var imported = await _memory.ImportTextAsync(content.Markdown, documentId, tags, options.Index, content.Page.Url, cancellationToken).ConfigureAwait(false);
                results.Add(new NotionImportResult(id, content.Page.Title, content.Page.Url, documentId, imported.Status == ImportStatus.Imported ? "imported" : "unchanged", imported.Partitions));
                _logger.LogInformation("Notion page {PageId} ({Title}): {Status}.", id, content.Page.Title, imported.Status);
                if (options.IncludeChildPages)
                {
                    foreach (var child in content.ChildPages)
                    {
                        queue.Enqueue(child);
                    }
                }
            }
            catch (NotionApiException ex) when (ex.Kind is not (NotionErrorKind.Unauthorized or NotionErrorKind.MissingVersion))
            {
                _logger.LogWarning("Notion page {PageId} could not be imported: {Message}", id, ex.Message);
                results.Add(new NotionImportResult(id, string.Empty, NotionIds.Url(id), documentId, "failed", 0, ex.Message));
            }
        }

        return results;
    }
}
