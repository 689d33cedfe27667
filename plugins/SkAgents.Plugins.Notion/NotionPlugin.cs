using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using SkAgents.Memory;

namespace SkAgents.Plugins.Notion;

/// <summary>
/// Notion as tools for an agent: search the workspace, read pages as Markdown, query data sources, create pages and
/// append content (both need approval), and import pages into memory. Only pages shared with the integration are
/// visible. Page content is the user's data, returned for the model to read, not instructions.
/// </summary>
[Plugin("notion")]
[Description("The user's Notion workspace: search, read pages as Markdown, query data sources, create and append pages (with approval), import pages into memory.")]
public sealed class NotionPlugin
{
    private readonly NotionClient _client;
    private readonly MemoryService? _memory;

    /// <summary>Creates the plugin.</summary>
    /// <param name="client">The Notion client.</param>
    /// <param name="memory">The memory <c>notion_import</c> writes to; the function fails with a clear message when null.</param>
    public NotionPlugin(NotionClient client, MemoryService? memory = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _memory = memory;
    }

    /// <summary>Searches page and data source titles.</summary>
    /// <param name="query">Text to find in titles.</param>
    /// <param name="type">page, data_source (or database), or null for both.</param>
    /// <param name="limit">The most results.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>The matches, by relevance.</returns>
    [ReadOnlyTool]
    [Description("Searches the titles of Notion pages and data sources shared with the integration.")]
    public async Task<IReadOnlyList<NotionSearchHit>> SearchAsync(
        [Description("Text to find in titles; empty for recently edited items.")] string query,
        [Description("'page', 'data_source' (or 'database'), or omit for both.")] string? type = null,
        [Description("The most results to return (1-100).")] int limit = 20,
        CancellationToken cancellationToken = default)
    {
        var filter = type?.Trim().ToLowerInvariant() switch
        {
            null or "" or "all" => NotionSearchFilter.All,
            "page" or "pages" => NotionSearchFilter.Page,
            "data_source" or "datasource" or "data_sources" or "database" or "databases" => NotionSearchFilter.DataSource,
            _ => throw new ArgumentException($"type '{type}' is not one of page, data_source, database.", nameof(type)),
        };
        var results = await _client.SearchAsync(query, filter, Math.Clamp(limit, 1, 100), cancellationToken).ConfigureAwait(false);
        return [.. results.Select(r => new NotionSearchHit(r.Kind, r.Id, r.Title, r.Url, r.LastEditedTime))];
    }

    /// <summary>Reads a page as Markdown.</summary>
    /// <param name="page">The page id or URL.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The page's title, URL and Markdown.</returns>
    [ReadOnlyTool]
    [Description("Reads a Notion page (id or URL) and returns its content as Markdown, with links to its child pages.")]
    public async Task<NotionPageMarkdown> ReadPageAsync(
        [Description("The page id (with or without dashes) or its Notion URL.")] string page,
        CancellationToken cancellationToken = default)
    {
        var content = await _client.ReadPageAsMarkdownAsync(page, cancellationToken).ConfigureAwait(false);
        return new NotionPageMarkdown(content.Page.Id, content.Page.Title, content.Page.Url, content.Page.LastEditedTime, content.Markdown, content.ChildPages);
    }

    /// <summary>Queries a data source.</summary>
    /// <param name="dataSource">The data source id or URL (a database id on API version 2022-06-28).</param>
    /// <param name="filter">A Notion filter object as JSON.</param>
    /// <param name="limit">The most rows.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The rows with their properties as text.</returns>
    [ReadOnlyTool]
    [Description("Queries a Notion data source (database) and returns its rows with their properties as text.")]
    public async Task<IReadOnlyList<NotionRow>> QueryAsync(
        [Description("The data source id or URL (a database id on API version 2022-06-28).")] string dataSource,
        [Description("Optional Notion filter object as JSON, e.g. {\"property\":\"Status\",\"status\":{\"equals\":\"Done\"}}.")] string? filter = null,
        [Description("The most rows to return.")] int limit = 50,
        CancellationToken cancellationToken = default)
    {
        JsonNode? filterNode = null;
        if (!string.IsNullOrWhiteSpace(filter))
        {
            try
            {
                filterNode = JsonNode.Parse(filter);
            }
            catch (JsonException ex)
            {
                throw new ArgumentException($"filter is not valid JSON: {ex.Message}", nameof(filter), ex);
            }

            if (filterNode is not JsonObject)
            {
                throw new ArgumentException("filter must be a JSON object (a Notion filter).", nameof(filter));
            }
        }

        var rows = await _client.QueryDataSourceAsync(dataSource, filterNode, null, Math.Clamp(limit, 1, 1000), cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => new NotionRow(r.Id, r.Title, r.Url, r.Properties))];
    }

    /// <summary>Creates a page.</summary>
    /// <param name="parent">The parent page (or data source) id or URL.</param>
    /// <param name="title">The title.</param>
    /// <param name="markdown">The content as Markdown.</param>
    /// <param name="parentType">page or data_source.</param>
    /// <param name="cancellationToken">Cancels the write between requests.</param>
    /// <returns>The new page's id and URL.</returns>
    [Description("Creates a Notion page under a parent page (or as a row of a data source) with a title and Markdown content.")]
    [SideEffect("Creates a page in the user's Notion workspace.")]
    public Task<NotionWriteResult> CreatePageAsync(
        [Description("The parent page id or URL (or data source id when parentType is data_source).")] string parent,
        [Description("The page title.")] string title,
        [Description("The content as Markdown (headings, lists, to-dos, code, tables, quotes, links).")] string markdown,
        [Description("'page' (default) or 'data_source'.")] string parentType = "page",
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        var kind = parentType?.Trim().ToLowerInvariant() switch
        {
            null or "" or "page" => NotionParentKind.Page,
            "data_source" or "datasource" or "database" => NotionParentKind.DataSource,
            _ => throw new ArgumentException($"parentType '{parentType}' is not page or data_source.", nameof(parentType)),
        };
        return _client.CreatePageFromMarkdownAsync(new NotionParent(kind, parent), title, markdown ?? string.Empty, cancellationToken);
    }

    /// <summary>Appends Markdown to a page.</summary>
    /// <param name="page">The page id or URL.</param>
    /// <param name="markdown">The content.</param>
    /// <param name="cancellationToken">Cancels the write between requests.</param>
    /// <returns>How many blocks were appended.</returns>
    [Description("Appends Markdown content to the end of a Notion page.")]
    [SideEffect("Appends content to a page in the user's Notion workspace.")]
    public Task<NotionWriteResult> AppendAsync(
        [Description("The page id or URL.")] string page,
        [Description("The content to append, as Markdown.")] string markdown,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(markdown);
        return _client.AppendMarkdownAsync(page, markdown, cancellationToken);
    }

    /// <summary>Imports pages into memory.</summary>
    /// <param name="pages">Page ids or URLs.</param>
    /// <param name="includeChildPages">Whether to import child pages too.</param>
    /// <param name="index">The memory index.</param>
    /// <param name="cancellationToken">Cancels the import.</param>
    /// <returns>One result per page.</returns>
    [Description("Imports Notion pages (optionally with their child pages) into memory so they can be searched and cited; unchanged pages are skipped.")]
    public async Task<IReadOnlyList<NotionImportResult>> ImportAsync(
        [Description("Page ids or URLs.")] string[] pages,
        [Description("Whether to import their child pages too.")] bool includeChildPages = false,
        [Description("The memory index; the default one when omitted.")] string? index = null,
        CancellationToken cancellationToken = default)
    {
        if (_memory is null)
        {
            throw new InvalidOperationException("notion_import needs memory, and none is configured (enable SkAgents:Plugins:Memory and SkAgents:Memory).");
        }

        var importer = new NotionImporter(_client, _memory);
        return await importer.ImportAsync(pages ?? [], new NotionImportOptions { IncludeChildPages = includeChildPages, Index = index }, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>A search result.</summary>
/// <param name="Type">page, data_source or database.</param>
/// <param name="Id">The id.</param>
/// <param name="Title">The title.</param>
/// <param name="Url">The URL.</param>
/// <param name="LastEditedTime">When it last changed.</param>
public sealed record NotionSearchHit(string Type, string Id, string Title, string Url, DateTimeOffset? LastEditedTime);

/// <summary>A page read as Markdown.</summary>
/// <param name="Id">The page id.</param>
/// <param name="Title">The title.</param>
/// <param name="Url">The URL.</param>
/// <param name="LastEditedTime">When it last changed.</param>
/// <param name="Markdown">The content.</param>
/// <param name="ChildPages">Ids of its child pages.</param>
public sealed record NotionPageMarkdown(string Id, string Title, string Url, DateTimeOffset? LastEditedTime, string Markdown, IReadOnlyList<string> ChildPages);

/// <summary>A data source row.</summary>
/// <param name="Id">The row's page id.</param>
/// <param name="Title">Its title.</param>
/// <param name="Url">Its URL.</param>
/// <param name="Properties">Its properties as text.</param>
public sealed record NotionRow(string Id, string Title, string Url, IReadOnlyDictionary<string, string> Properties);
