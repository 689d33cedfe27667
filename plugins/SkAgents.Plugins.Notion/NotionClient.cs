using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SkAgents.Plugins.Notion;

/// <summary>
/// A client for the Notion REST API: search, retrieve pages, read block children recursively, query data sources
/// (databases on 2022-06-28), create pages and append blocks.
/// </summary>
/// <remarks>
/// <para>Every request carries <c>Authorization: Bearer</c>, <c>Notion-Version</c> and JSON content, and waits for a
/// token of a client-side limiter (about 3 requests/s, see <see cref="NotionRateLimiter"/>).</para>
/// <para>Reads are retried (up to <see cref="NotionClientOptions.MaxRetries"/>) after 429 <c>rate_limited</c>, honouring
/// <c>Retry-After</c>, and after 500/502/503/504/529, timeouts and broken connections, with exponential back-off.
/// Writes are not idempotent in Notion, so they are retried only after 429 (Notion did not process the request);
/// after a 5xx, a timeout or a broken connection a write fails with <see cref="NotionWriteOutcomeUnknownException"/>
/// and is never repeated, so content is never duplicated.</para>
/// <para>Appends always go to the end of the parent, so neither <c>after</c> (before 2026-03-11) nor <c>position</c>
/// (2026-03-11) is sent and appends behave the same in every version.</para>
/// <para>Failures are typed (<see cref="NotionApiException"/> and its subclasses); the token is never logged and never
/// appears in a message.</para>
/// </remarks>
public sealed class NotionClient : IDisposable
{
    /// <summary>The most top-level blocks one create or append request may carry.</summary>
    public const int MaxBlocksPerRequest = 100;

    /// <summary>The most block elements (at every level) one request may carry.</summary>
    public const int MaxElementsPerRequest = 1000;

    private static readonly HashSet<HttpStatusCode> TransientStatuses =
        [HttpStatusCode.InternalServerError, HttpStatusCode.BadGateway, HttpStatusCode.ServiceUnavailable, HttpStatusCode.GatewayTimeout, (HttpStatusCode)529];

    private readonly NotionClientOptions _options;
    private readonly HttpClient _http;
    private readonly NotionRateLimiter _limiter;
    private readonly ILogger _logger;
    private readonly Uri _base;

    /// <summary>Creates the client.</summary>
    /// <param name="options">The token, version, base URL and limits.</param>
    /// <param name="handler">The HTTP handler; a new <see cref="SocketsHttpHandler"/> when null.</param>
    /// <param name="logger">Logging (method, path, status; never the token).</param>
    /// <exception cref="ArgumentException">A setting is missing or invalid; the message names it.</exception>
    public NotionClient(NotionClientOptions options, HttpMessageHandler? handler = null, ILogger<NotionClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _base = options.BaseUrl.AbsoluteUri.EndsWith('/') ? options.BaseUrl : new Uri(options.BaseUrl.AbsoluteUri + "/");
        _http = handler is null
            ? new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: true)
            : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = Timeout.InfiniteTimeSpan;
        _limiter = new NotionRateLimiter(options.RequestsPerSecond, options.Burst, options.TimeProvider);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Gets the API version this client sends.</summary>
    public string Version => _options.Version;

    /// <summary>Gets whether the version uses data sources (2025-09-03 and later).</summary>
    public bool UsesDataSources => NotionVersions.UsesDataSources(_options.Version);

    /// <summary>Searches page and data source titles the integration can see, following cursors.</summary>
    /// <param name="query">Text to match in titles; everything when empty.</param>
    /// <param name="filter">Pages, data sources (databases on 2022-06-28), or both.</param>
    /// <param name="maxResults">The most results to collect.</param>
    /// <param name="cancellationToken">Cancels the search.</param>
    /// <returns>The results: by relevance for a query, most recently edited first without one.</returns>
    public async Task<IReadOnlyList<NotionObject>> SearchAsync(string? query, NotionSearchFilter filter = NotionSearchFilter.All, int maxResults = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxResults, 1);
        var results = new List<NotionObject>();
        string? cursor = null;
        do
        {
            var page = await SearchPageAsync(query, filter, cursor, Math.Min(_options.PageSize, maxResults - results.Count), cancellationToken).ConfigureAwait(false);
            results.AddRange(page.Results);
            cursor = page.HasMore ? page.NextCursor : null;
        }
        while (cursor is not null && results.Count < maxResults);

        return results.Count > maxResults ? results[..maxResults] : results;
    }

    /// <summary>Gets one page of search results (<c>POST /search</c>).</summary>
    /// <param name="query">Text to match in titles.</param>
    /// <param name="filter">What to look for.</param>
    /// <param name="startCursor">The cursor from the previous page.</param>
    /// <param name="pageSize">At most 100.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One page of results.</returns>
    public async Task<NotionList<NotionObject>> SearchPageAsync(string? query, NotionSearchFilter filter = NotionSearchFilter.All, string? startCursor = null, int pageSize = 100, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["page_size"] = Math.Clamp(pageSize, 1, 100) };
        if (!string.IsNullOrWhiteSpace(query))
        {
            // Notion ranks title matches by relevance.
            body["query"] = query;
        }
        else
        {
            body["sort"] = new JsonObject { ["timestamp"] = "last_edited_time", ["direction"] = "descending" };
        }

        if (filter != NotionSearchFilter.All)
        {
            body["filter"] = new JsonObject
            {
                ["property"] = "object",
                ["value"] = filter == NotionSearchFilter.Page ? "page" : UsesDataSources ? "data_source" : "database",
            };
        }

        if (startCursor is not null)
        {
            body["start_cursor"] = startCursor;
        }

        var json = await SendAsync(HttpMethod.Post, "search", body, isWrite: false, cancellationToken).ConfigureAwait(false);
        return ReadList(json, NotionObject.FromJson);
    }

    /// <summary>Retrieves a page (<c>GET /pages/{id}</c>): title, URL, last edit, properties.</summary>
    /// <param name="pageIdOrUrl">The page id (dashed or not) or URL.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The page.</returns>
    public async Task<NotionObject> RetrievePageAsync(string pageIdOrUrl, CancellationToken cancellationToken = default)
    {
        var id = NotionIds.Parse(pageIdOrUrl);
        var json = await SendAsync(HttpMethod.Get, $"pages/{id}", null, isWrite: false, cancellationToken).ConfigureAwait(false);
        return NotionObject.FromJson(json);
    }

    /// <summary>Gets one page of a block's children (<c>GET /blocks/{id}/children</c>).</summary>
    /// <param name="blockId">The block or page id.</param>
    /// <param name="startCursor">The cursor from the previous page.</param>
    /// <param name="pageSize">At most 100.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One page of children (without their own children).</returns>
    public async Task<NotionList<NotionBlock>> ListBlockChildrenAsync(string blockId, string? startCursor = null, int pageSize = 100, CancellationToken cancellationToken = default)
    {
        var id = NotionIds.Parse(blockId);
        var path = $"blocks/{id}/children?page_size={Math.Clamp(pageSize, 1, 100).ToString(CultureInfo.InvariantCulture)}";
        if (startCursor is not null)
        {
            path += "&start_cursor=" + Uri.EscapeDataString(startCursor);
        }

        var json = await SendAsync(HttpMethod.Get, path, null, isWrite: false, cancellationToken).ConfigureAwait(false);
        return ReadList(json, e => new NotionBlock(e));
    }

    /// <summary>
    /// Reads all of a block's (or page's) children, following cursors at every level and recursing into every block
    /// that has children, except child pages and child databases (separate objects, rendered as links).
    /// </summary>
    /// <param name="blockId">The block or page id (or URL).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The top-level blocks with their descendants.</returns>
    public async Task<IReadOnlyList<NotionBlock>> GetBlockTreeAsync(string blockId, CancellationToken cancellationToken = default)
    {
        var blocks = await ListAllChildrenAsync(NotionIds.Parse(blockId), cancellationToken).ConfigureAwait(false);
        await FillChildrenAsync(blocks, 1, cancellationToken).ConfigureAwait(false);
        return blocks;
    }

    /// <summary>Reads a page and renders it as Markdown (see <see cref="NotionMarkdownRenderer"/>).</summary>
    /// <param name="pageIdOrUrl">The page id or URL.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The page, its Markdown and its child pages.</returns>
    public async Task<NotionPageContent> ReadPageAsMarkdownAsync(string pageIdOrUrl, CancellationToken cancellationToken = default)
    {
        var page = await RetrievePageAsync(pageIdOrUrl, cancellationToken).ConfigureAwait(false);
        var blocks = await GetBlockTreeAsync(page.Id, cancellationToken).ConfigureAwait(false);
        var markdown = NotionMarkdownRenderer.RenderPage(page.Title, blocks);
        return new NotionPageContent(page, markdown, NotionMarkdownRenderer.ChildPageIds(blocks), CountBlocks(blocks));
    }

    /// <summary>
    /// Queries a data source (<c>POST /data_sources/{id}/query</c>; on 2022-06-28 a database,
    /// <c>POST /databases/{id}/query</c>), following cursors.
    /// </summary>
    /// <param name="dataSourceId">The data source (or database, on 2022-06-28) id or URL.</param>
    /// <param name="filter">A Notion filter object, passed through unchanged; all rows when null.</param>
    /// <param name="sorts">A Notion sorts array, passed through; Notion's default order when null.</param>
    /// <param name="maxResults">The most rows to collect.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The matching pages (rows) with their properties as text.</returns>
    public async Task<IReadOnlyList<NotionObject>> QueryDataSourceAsync(string dataSourceId, JsonNode? filter = null, JsonNode? sorts = null, int maxResults = 100, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxResults, 1);
        var id = NotionIds.Parse(dataSourceId);
        var path = UsesDataSources ? $"data_sources/{id}/query" : $"databases/{id}/query";
        if (UsesDataSources)
        {
            try
            {
                return await QueryPathAsync(path, filter, sorts, maxResults, cancellationToken).ConfigureAwait(false);
            }
            catch (NotionObjectNotFoundException)
            {
                // A database id (what a database URL holds) where a data source id is needed: query its first data source.
                if (await DataSourceOfDatabaseAsync(id, cancellationToken).ConfigureAwait(false) is not { } source)
                {
                    throw;
                }

                _logger.LogDebug("{Id} is a database; querying its data source {Source}.", id, source);
                return await QueryPathAsync($"data_sources/{source}/query", filter, sorts, maxResults, cancellationToken).ConfigureAwait(false);
            }
        }

        return await QueryPathAsync(path, filter, sorts, maxResults, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gets the data sources of a database (<c>GET /databases/{id}</c>, 2025-09-03 and later).</summary>
    /// <param name="databaseId">The database id or URL.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The data sources' ids and names.</returns>
    public async Task<IReadOnlyList<KeyValuePair<string, string>>> GetDataSourcesAsync(string databaseId, CancellationToken cancellationToken = default)
    {
        var json = await SendAsync(HttpMethod.Get, $"databases/{NotionIds.Parse(databaseId)}", null, isWrite: false, cancellationToken).ConfigureAwait(false);
        return json.TryGetProperty("data_sources", out var sources) && sources.ValueKind == JsonValueKind.Array
            ? [.. sources.EnumerateArray().Where(s => s.Str("id") is not null).Select(s => new KeyValuePair<string, string>(s.Str("id")!, s.Str("name") ?? string.Empty))]
            : [];
    }

    private async Task<string?> DataSourceOfDatabaseAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            var sources = await GetDataSourcesAsync(id, cancellationToken).ConfigureAwait(false);
            return sources.Count > 0 ? sources[0].Key : null;
        }
        catch (NotionApiException)
        {
            return null;
        }
    }

    private async Task<IReadOnlyList<NotionObject>> QueryPathAsync(string path, JsonNode? filter, JsonNode? sorts, int maxResults, CancellationToken cancellationToken)
    {
        var results = new List<NotionObject>();
        string? cursor = null;
        do
        {
            var body = new JsonObject { ["page_size"] = Math.Min(_options.PageSize, maxResults - results.Count) };
            if (filter is not null)
            {
                body["filter"] = filter.DeepClone();
            }

            if (sorts is not null)
            {
                body["sorts"] = sorts.DeepClone();
            }

            if (cursor is not null)
            {
                body["start_cursor"] = cursor;
            }

            var json = await SendAsync(HttpMethod.Post, path, body, isWrite: false, cancellationToken).ConfigureAwait(false);
            var page = ReadList(json, NotionObject.FromJson);
            results.AddRange(page.Results);
            cursor = page.HasMore ? page.NextCursor : null;
        }
        while (cursor is not null && results.Count < maxResults);

        return results.Count > maxResults ? results[..maxResults] : results;
    }

    /// <summary>
    /// Creates a page with a title and blocks. The create request carries the first 100 blocks; the rest are
    /// appended in order in batches of at most 100 (and 1000 elements).
    /// </summary>
    /// <param name="parent">A page, or a data source (database on 2022-06-28).</param>
    /// <param name="title">The title.</param>
    /// <param name="children">The blocks (see <see cref="NotionBlockBuilder"/>).</param>
    /// <param name="cancellationToken">Cancels the write between requests.</param>
    /// <returns>The new page's id and URL, and how many requests it took.</returns>
    /// <exception cref="NotionWriteOutcomeUnknownException">The create request may or may not have happened.</exception>
    /// <exception cref="NotionWriteIncompleteException">The page was created but a later append failed.</exception>
    public async Task<NotionWriteResult> CreatePageAsync(NotionParent parent, string title, IReadOnlyList<JsonObject> children, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(children);
        var parentId = NotionIds.Parse(parent.Id);
        var parentKey = parent.Kind == NotionParentKind.Page ? "page_id" : UsesDataSources ? "data_source_id" : "database_id";
        var batches = Batches(children);
        var body = new JsonObject
        {
            ["parent"] = new JsonObject { ["type"] = parentKey, [parentKey] = parentId },
            // The title property's id is always "title", for page and data-source parents alike.
            ["properties"] = new JsonObject { ["title"] = new JsonObject { ["title"] = NotionBlockBuilder.RichText(title) } },
        };
        if (batches.Count > 0)
        {
            body["children"] = new JsonArray([.. batches[0].Select(b => b.DeepClone())]);
        }

        var created = NotionObject.FromJson(await SendAsync(HttpMethod.Post, "pages", body, isWrite: true, cancellationToken).ConfigureAwait(false));
        var written = batches.Count > 0 ? batches[0].Count : 0;
        var requests = 1;
        foreach (var batch in batches.Skip(1))
        {
            try
            {
                await AppendBatchAsync(created.Id, batch, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NotionApiException or OperationCanceledException)
            {
                throw new NotionWriteIncompleteException(
                    $"The page '{title}' was created ({created.Url}) but only its first {written} of {children.Count} blocks are known to be written: {ex.Message} Check the page before appending the rest.", ex)
                { PageId = created.Id, BlocksWritten = written, BlocksTotal = children.Count, Status = (ex as NotionApiException)?.Status ?? 0, Code = (ex as NotionApiException)?.Code };
            }

            written += batch.Count;
            requests++;
        }

        return new NotionWriteResult(created.Id, created.Url, written, requests);
    }

    /// <summary>Creates a page from Markdown (see <see cref="NotionBlockBuilder.FromMarkdown"/>).</summary>
    /// <param name="parent">The parent page or data source.</param>
    /// <param name="title">The title.</param>
    /// <param name="markdown">The body.</param>
    /// <param name="cancellationToken">Cancels the write between requests.</param>
    /// <returns>The new page.</returns>
    public Task<NotionWriteResult> CreatePageFromMarkdownAsync(NotionParent parent, string title, string markdown, CancellationToken cancellationToken = default) =>
        CreatePageAsync(parent, title, NotionBlockBuilder.FromMarkdown(markdown ?? string.Empty), cancellationToken);

    /// <summary>Appends blocks to the end of a page or block (<c>PATCH /blocks/{id}/children</c>), in batches of at most 100, in order.</summary>
    /// <param name="blockId">The page or block id (or URL).</param>
    /// <param name="children">The blocks.</param>
    /// <param name="cancellationToken">Cancels the write between requests.</param>
    /// <returns>How many blocks were written and in how many requests.</returns>
    /// <exception cref="NotionWriteOutcomeUnknownException">The only request may or may not have happened.</exception>
    /// <exception cref="NotionWriteIncompleteException">A batch after the first failed.</exception>
    public async Task<NotionWriteResult> AppendBlocksAsync(string blockId, IReadOnlyList<JsonObject> children, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(children);
        var id = NotionIds.Parse(blockId);
        var written = 0;
        var requests = 0;
        foreach (var batch in Batches(children))
        {
            try
            {
                await AppendBatchAsync(id, batch, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (requests > 0 && ex is NotionApiException or OperationCanceledException)
            {
                throw new NotionWriteIncompleteException(
                    $"Only the first {written} of {children.Count} blocks are known to be appended to {NotionIds.Url(id)}: {ex.Message} Check the page before appending the rest.", ex)
                { PageId = id, BlocksWritten = written, BlocksTotal = children.Count, Status = (ex as NotionApiException)?.Status ?? 0, Code = (ex as NotionApiException)?.Code };
            }

            written += batch.Count;
            requests++;
        }

        return new NotionWriteResult(id, NotionIds.Url(id), written, requests);
    }

    /// <summary>Appends Markdown to the end of a page.</summary>
    /// <param name="pageIdOrUrl">The page.</param>
    /// <param name="markdown">The Markdown.</param>
    /// <param name="cancellationToken">Cancels the write between requests.</param>
    /// <returns>How many blocks were written.</returns>
    public Task<NotionWriteResult> AppendMarkdownAsync(string pageIdOrUrl, string markdown, CancellationToken cancellationToken = default) =>
        AppendBlocksAsync(pageIdOrUrl, NotionBlockBuilder.FromMarkdown(markdown ?? string.Empty), cancellationToken);

    /// <inheritdoc/>
    public void Dispose()
    {
        _http.Dispose();

        _limiter.Dispose();
    }

    /// <summary>Splits blocks into request-sized batches: at most 100 top-level blocks and 1000 elements each, in order.</summary>
    /// <param name="blocks">The blocks.</param>
    /// <returns>The batches.</returns>
    public static IReadOnlyList<IReadOnlyList<JsonObject>> Batches(IReadOnlyList<JsonObject> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var batches = new List<IReadOnlyList<JsonObject>>();
        var current = new List<JsonObject>();
        var elements = 0;
        foreach (var block in blocks)
        {
            var count = NotionBlockBuilder.CountElements(block);
            if (current.Count > 0 && (current.Count == MaxBlocksPerRequest || elements + count > MaxElementsPerRequest))
            {
                batches.Add(current);
                current = [];
                elements = 0;
            }

            current.Add(block);
            elements += count;
        }

        if (current.Count > 0)
        {
            batches.Add(current);
        }

        return batches;
    }

    private Task<JsonElement> AppendBatchAsync(string id, IReadOnlyList<JsonObject> batch, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Patch, $"blocks/{id}/children", new JsonObject { ["children"] = new JsonArray([.. batch.Select(b => b.DeepClone())]) }, isWrite: true, cancellationToken);

    private async Task<List<NotionBlock>> ListAllChildrenAsync(string id, CancellationToken cancellationToken)
    {
        var blocks = new List<NotionBlock>();
        string? cursor = null;
        do
        {
            var page = await ListBlockChildrenAsync(id, cursor, _options.PageSize, cancellationToken).ConfigureAwait(false);
            blocks.AddRange(page.Results);
            cursor = page.HasMore ? page.NextCursor : null;
        }
        while (cursor is not null);

        return blocks;
    }

    private async Task FillChildrenAsync(IEnumerable<NotionBlock> blocks, int depth, CancellationToken cancellationToken)
    {
        if (depth > _options.MaxBlockDepth)
        {
            return;
        }

        foreach (var block in blocks)
        {
            if (!block.HasChildren || block.Type is "child_page" or "child_database")
            {
                continue;
            }

            var children = await ListAllChildrenAsync(block.Id, cancellationToken).ConfigureAwait(false);
            foreach (var child in children)
            {
                block.Children.Add(child);
            }

            await FillChildrenAsync(children, depth + 1, cancellationToken).ConfigureAwait(false);
        }
    }

    private static int CountBlocks(IEnumerable<NotionBlock> blocks) => blocks.Sum(b => 1 + CountBlocks(b.Children));

    private static NotionList<T> ReadList<T>(JsonElement json, Func<JsonElement, T> read)
    {
        var results = json.TryGetProperty("results", out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Select(read).ToList()
            : [];
        var hasMore = json.Bool("has_more") ?? false;
        return new NotionList<T>(results, json.Str("next_cursor"), hasMore && json.Str("next_cursor") is not null);
    }

    private async Task<JsonElement> SendAsync(HttpMethod method, string relativePath, JsonNode? body, bool isWrite, CancellationToken cancellationToken)
    {
        var uri = new Uri(_base, relativePath);
        var request = $"{method.Method} {uri.AbsolutePath}";
        var payload = body?.ToJsonString();
        for (var attempt = 0; ; attempt++)
        {
            await _limiter.AcquireAsync(cancellationToken).ConfigureAwait(false);
            using var message = new HttpRequestMessage(method, uri);
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Token);
            message.Headers.TryAddWithoutValidation("Notion-Version", _options.Version);
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (payload is not null)
            {
                message.Content = new StringContent(payload, Encoding.UTF8, "application/json");
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.Timeout);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                var what = ex is OperationCanceledException ? $"timed out after {_options.Timeout.TotalSeconds:0} s" : $"could not reach {_base.GetLeftPart(UriPartial.Authority)} ({ex.Message})";
                if (isWrite)
                {
                    throw new NotionWriteOutcomeUnknownException($"Notion {request} {what}; the write may or may not have happened, so it was not retried. Check the page in Notion before trying again, or the content may be duplicated.", ex)
                    { Request = request };
                }

                if (attempt < _options.MaxRetries)
                {
                    _logger.LogWarning("Notion {Request} {What}; retrying ({Attempt}/{MaxRetries}).", request, what, attempt + 1, _options.MaxRetries);
                    await Task.Delay(Backoff(attempt), _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                throw new NotionApiException(0, null, $"Notion {request} {what} after {attempt + 1} attempts. Check the network and SkAgents:Plugins:Notion:BaseUrl.", ex) { Request = request };
            }

            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                _logger.LogDebug("Notion {Request} → {Status}", request, status);
                if (response.IsSuccessStatusCode)
                {
                    try
                    {
                        using var document = JsonDocument.Parse(text);
                        return document.RootElement.Clone();
                    }
                    catch (JsonException ex)
                    {
                        throw new NotionApiException(status, null, $"Notion {request} answered {status} with a body that is not JSON; is SkAgents:Plugins:Notion:BaseUrl ({_base}) the Notion API?", ex) { Request = request };
                    }
                }

                var (code, notionMessage, requestId) = ReadError(text);
                var retryAfter = RetryAfter(response);
                if (status == 429 || code == "rate_limited")
                {
                    var delay = retryAfter ?? Backoff(attempt);
                    if (attempt < _options.MaxRetries && delay <= _options.MaxRetryDelay)
                    {
                        _logger.LogWarning("Notion {Request} was rate limited; waiting {Delay} s ({Attempt}/{MaxRetries}).", request, delay.TotalSeconds, attempt + 1, _options.MaxRetries);
                        await Task.Delay(delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    throw NotionApiErrors.Create(status, code ?? "rate_limited", notionMessage, requestId, request, retryAfter);
                }

                if (TransientStatuses.Contains(response.StatusCode) || NotionApiErrors.KindOf(status, code) == NotionErrorKind.ServerError)
                {
                    if (isWrite)
                    {
                        throw new NotionWriteOutcomeUnknownException(
                            $"Notion {request} failed with {status}{(code is null ? string.Empty : " " + code)}; the write may or may not have happened, so it was not retried. Check the page in Notion before trying again, or the content may be duplicated.{(notionMessage is null ? string.Empty : " Notion said: " + notionMessage)}")
                        { Status = status, Code = code, NotionMessage = notionMessage, RequestId = requestId, Request = request };
                    }

                    var delay = retryAfter is { } r && r <= _options.MaxRetryDelay ? r : Backoff(attempt);
                    if (attempt < _options.MaxRetries)
                    {
                        _logger.LogWarning("Notion {Request} failed with {Status} {Code}; retrying in {Delay} s ({Attempt}/{MaxRetries}).", request, status, code, delay.TotalSeconds, attempt + 1, _options.MaxRetries);
                        await Task.Delay(delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                }

                if (code is null && notionMessage is null)
                {
                    notionMessage = text.Length == 0 ? null : "(the response was not Notion's error JSON: is SkAgents:Plugins:Notion:BaseUrl right?)";
                }

                throw NotionApiErrors.Create(status, code, notionMessage, requestId, request, retryAfter);
            }
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        var seconds = _options.InitialRetryDelay.TotalSeconds * Math.Pow(2, attempt);
        return TimeSpan.FromSeconds(Math.Min(seconds, _options.MaxRetryDelay.TotalSeconds));
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } header)
        {
            return null;
        }

        if (header.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header.Date is { } date)
        {
            var wait = date - _options.TimeProvider.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static (string? Code, string? Message, string? RequestId) ReadError(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            return root.Str("object") == "error" || root.Str("code") is not null
                ? (root.Str("code"), root.Str("message"), root.Str("request_id"))
                : (null, null, null);
        }
        catch (JsonException)
        {
            return (null, null, null);
        }
    }
}
