using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SkAgents.Testing.Notion;

/// <summary>One request the fake Notion server received.</summary>
/// <param name="Method">GET, POST, PATCH…</param>
/// <param name="Path">The path, e.g. <c>/v1/pages/…</c>.</param>
/// <param name="Query">The query string, with its <c>?</c>.</param>
/// <param name="Headers">The headers.</param>
/// <param name="Body">The raw body.</param>
/// <param name="Json">The body as JSON, when it was JSON.</param>
public sealed record NotionRecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body, JsonNode? Json);

/// <summary>A scripted failure: the next request whose method matches and whose path contains the text gets it.</summary>
/// <param name="Method">The method to match.</param>
/// <param name="PathContains">Text the path must contain.</param>
/// <param name="Status">The HTTP status.</param>
/// <param name="Code">Notion's error code.</param>
/// <param name="Message">Notion's message.</param>
/// <param name="RetryAfterSeconds">A <c>Retry-After</c> header, if any.</param>
/// <param name="ApplyThenFail">For writes: apply the write, then answer with the failure (the write landed but the client cannot know).</param>
/// <param name="DropConnection">Close the connection instead of answering (after applying the write when <paramref name="ApplyThenFail"/>).</param>
public sealed record NotionFault(string Method, string PathContains, int Status, string Code, string Message, int? RetryAfterSeconds = null, bool ApplyThenFail = false, bool DropConnection = false);

/// <summary>
/// A Notion-faithful API server on 127.0.0.1 for tests: bearer-token auth (401 <c>unauthorized</c>), the required
/// <c>Notion-Version</c> header (400 <c>missing_version</c>), pages, nested blocks with cursor pagination
/// (<see cref="PageSizeCap"/> forces small pages), search with cursors, databases (2022-06-28) and data sources
/// (2025-09-03 and later) with filtered queries, page creation and block appends with Notion's limits (100 blocks,
/// 2000 characters per rich-text item, 100 rich-text items, two levels of nesting, 1000 elements), Notion's error
/// JSON, and scripted faults (<see cref="EnqueueFault"/>). Every request is recorded.
/// </summary>
public sealed class FakeNotionServer : IAsyncDisposable
{
    /// <summary>The token the server accepts unless another is given.</summary>
    public const string DefaultToken = "ntn_fake_integration_token_5f3c9a";

    private static readonly HashSet<string> Versions = ["2022-06-28", "2025-09-03", "2026-03-11"];

    private static readonly HashSet<string> WritableTypes =
    [
        "paragraph", "heading_1", "heading_2", "heading_3", "bulleted_list_item", "numbered_list_item", "to_do", "toggle",
        "quote", "callout", "code", "divider", "equation", "table", "table_row", "image", "bookmark", "embed", "file", "pdf", "video",
    ];

    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<NotionRecordedRequest> _requests = [];
    private readonly List<NotionFault> _faults = [];
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private int _clock;

    private FakeNotionServer(WebApplication app, Uri root, string token)
    {
        _app = app;
        BaseUrl = new Uri(root, "v1/");
        Token = token;
    }

    /// <summary>Gets the API base URL, e.g. <c>http://127.0.0.1:5123/v1/</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary>Gets the token the server accepts.</summary>
    public string Token { get; }

    /// <summary>Gets or sets the largest page the server returns, whatever <c>page_size</c> asks (Notion: 100).</summary>
    public int PageSizeCap { get; set; } = 100;

    /// <summary>Gets a snapshot of every request, in arrival order.</summary>
    public IReadOnlyList<NotionRecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Starts the server on 127.0.0.1 with an ephemeral port.</summary>
    /// <param name="token">The token to accept.</param>
    /// <param name="ct">Cancels the start.</param>
    /// <returns>The running server.</returns>
    public static async Task<FakeNotionServer> StartAsync(string token = DefaultToken, CancellationToken ct = default)
    {
        FakeNotionServer? server = null;
        var (app, roots) = await LoopbackKestrel.StartAsync(_ => context => server!.HandleAsync(context), cancellationToken: ct).ConfigureAwait(false);
        server = new FakeNotionServer(app, roots[0], token);
        return server;
    }

    // ------------------------------------------------------------------ workspace set-up

    /// <summary>Adds a page (at the workspace top level, or as a child page of another page).</summary>
    /// <param name="title">Its title.</param>
    /// <param name="parentPageId">The parent page; top level when null.</param>
    /// <param name="id">Its id; a new one when null.</param>
    /// <returns>The page id (dashed).</returns>
    public string AddPage(string title, string? parentPageId = null, string? id = null)
    {
        lock (_gate)
        {
            var page = NewNode("page", id);
            page.Title = title;
            if (parentPageId is not null)
            {
                var parent = _nodes[parentPageId];
                page.ParentType = "page_id";
                page.ParentId = parentPageId;
                parent.Children.Add(page.Id);
            }
            else
            {
                page.ParentType = "workspace";
            }

            return page.Id;
        }
    }

    /// <summary>Adds blocks (request shape: <c>{"type":"paragraph","paragraph":{…,"children":[…]}}</c>) to the end of a page or block.</summary>
    /// <param name="parentId">The page or block.</param>
    /// <param name="blocks">The blocks, children nested in their bodies.</param>
    /// <returns>The ids of the new top-level blocks.</returns>
    public IReadOnlyList<string> AddBlocks(string parentId, params JsonObject[] blocks)
    {
        lock (_gate)
        {
            return [.. blocks.Select(b => Store(parentId, (JsonObject)b.DeepClone()))];
        }
    }

    /// <summary>Replaces a page's content.</summary>
    /// <param name="pageId">The page.</param>
    /// <param name="blocks">The new blocks.</param>
    public void ReplaceContent(string pageId, params JsonObject[] blocks)
    {
        lock (_gate)
        {
            _nodes[pageId].Children.RemoveAll(c => _nodes[c].Kind == "block");
            foreach (var block in blocks)
            {
                Store(pageId, (JsonObject)block.DeepClone());
            }

            _nodes[pageId].Edited = ++_clock;
        }
    }

    /// <summary>Adds a database with one data source whose title property is <c>Name</c>.</summary>
    /// <param name="title">The title.</param>
    /// <param name="parentPageId">The page it lives on.</param>
    /// <returns>The database id and its data source id.</returns>
    public (string DatabaseId, string DataSourceId) AddDatabase(string title, string? parentPageId = null)
    {
        lock (_gate)
        {
            var database = NewNode("database", null);
            database.Title = title;
            var source = NewNode("data_source", null);
            source.Title = title;
            source.ParentType = "database_id";
            source.ParentId = database.Id;
            database.Children.Add(source.Id);
            if (parentPageId is not null)
            {
                database.ParentType = "page_id";
                database.ParentId = parentPageId;
                _nodes[parentPageId].Children.Add(database.Id);
            }
            else
            {
                database.ParentType = "workspace";
            }

            return (database.Id, source.Id);
        }
    }

    /// <summary>Adds a row to a data source.</summary>
    /// <param name="dataSourceId">The data source.</param>
    /// <param name="title">The row's title (property <c>Name</c>).</param>
    /// <param name="properties">Other properties in Notion's page-property shape, e.g. <c>{"Status":{"type":"select","select":{"name":"Done"}}}</c>.</param>
    /// <returns>The row's page id.</returns>
    public string AddRow(string dataSourceId, string title, JsonObject? properties = null)
    {
        lock (_gate)
        {
            var row = NewNode("page", null);
            row.Title = title;
            row.ParentType = "data_source_id";
            row.ParentId = dataSourceId;
            row.Properties = properties is null ? [] : (JsonObject)properties.DeepClone();
            _nodes[dataSourceId].Children.Add(row.Id);
            return row.Id;
        }
    }

    /// <summary>Moves a page to the trash (reported as <c>archived</c> before 2026-03-11, <c>in_trash</c> from 2025-09-03).</summary>
    /// <param name="pageId">The page.</param>
    public void Trash(string pageId)
    {
        lock (_gate)
        {
            _nodes[pageId].InTrash = true;
            _nodes[pageId].Edited = ++_clock;
        }
    }

    /// <summary>Scripts a failure for the next matching request.</summary>
    /// <param name="fault">The failure.</param>
    public void EnqueueFault(NotionFault fault)
    {
        lock (_gate)
        {
            _faults.Add(fault);
        }
    }

    /// <summary>Gets a page's or block's children as Notion returns them (top level only), for assertions.</summary>
    /// <param name="parentId">The page or block.</param>
    /// <returns>The children.</returns>
    public IReadOnlyList<JsonObject> ChildrenOf(string parentId)
    {
        lock (_gate)
        {
            return [.. _nodes[parentId].Children.Select(id => BlockJson(_nodes[id], "2025-09-03"))];
        }
    }

    /// <summary>Gets the ids of every page titled <paramref name="title"/>.</summary>
    /// <param name="title">The title.</param>
    /// <returns>The ids.</returns>
    public IReadOnlyList<string> PagesTitled(string title)
    {
        lock (_gate)
        {
            return [.. _order.Select(id => _nodes[id]).Where(n => n.Kind == "page" && n.Title == title).Select(n => n.Id)];
        }
    }

    /// <summary>Forgets the recorded requests.</summary>
    public void ClearRequests()
    {
        lock (_gate)
        {
            _requests.Clear();
        }
    }

    /// <summary>A text rich-text item in request shape.</summary>
    /// <param name="content">The text.</param>
    /// <param name="bold">Bold.</param>
    /// <param name="italic">Italic.</param>
    /// <param name="code">Inline code.</param>
    /// <param name="strikethrough">Struck through.</param>
    /// <param name="link">A link URL.</param>
    /// <returns>The item.</returns>
    public static JsonObject Text(string content, bool bold = false, bool italic = false, bool code = false, bool strikethrough = false, string? link = null) => new()
    {
        ["type"] = "text",
        ["text"] = new JsonObject { ["content"] = content, ["link"] = link is null ? null : new JsonObject { ["url"] = link } },
        ["annotations"] = new JsonObject { ["bold"] = bold, ["italic"] = italic, ["strikethrough"] = strikethrough, ["underline"] = false, ["code"] = code, ["color"] = "default" },
    };

    /// <summary>A block in request shape.</summary>
    /// <param name="type">The block type.</param>
    /// <param name="body">The body (without children).</param>
    /// <param name="children">Its children.</param>
    /// <returns>The block.</returns>
    public static JsonObject Block(string type, JsonObject? body = null, params JsonObject[] children)
    {
        body ??= [];
        if (children.Length > 0)
        {
            body["children"] = new JsonArray([.. children]);
        }

        return new JsonObject { ["object"] = "block", ["type"] = type, [type] = body };
    }

    /// <summary>A block with rich text in request shape.</summary>
    /// <param name="type">paragraph, heading_1, bulleted_list_item…</param>
    /// <param name="text">The text (one plain item) .</param>
    /// <param name="children">Its children.</param>
    /// <returns>The block.</returns>
    public static JsonObject TextBlock(string type, string text, params JsonObject[] children) =>
        Block(type, new JsonObject { ["rich_text"] = new JsonArray(Text(text)) }, children);

    /// <summary>A block with the given rich-text items.</summary>
    /// <param name="type">The block type.</param>
    /// <param name="items">The rich-text items.</param>
    /// <returns>The block.</returns>
    public static JsonObject RichBlock(string type, params JsonObject[] items) =>
        Block(type, new JsonObject { ["rich_text"] = new JsonArray([.. items]) });

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Connections are dropped below.
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ request handling

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }

        JsonNode? json = null;
        var invalidJson = false;
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                json = JsonNode.Parse(body);
            }
            catch (JsonException)
            {
                invalidJson = true;
            }
        }

        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var path = request.Path.Value ?? "/";
        lock (_gate)
        {
            _requests.Add(new NotionRecordedRequest(request.Method, path, request.QueryString.Value ?? string.Empty, headers, body, json));
        }

        Reply reply;
        lock (_gate)
        {
            reply = Route(request.Method, path, request.Query, headers, json, invalidJson);
        }

        if (reply.Drop)
        {
            context.Abort();
            return;
        }

        context.Response.StatusCode = reply.Status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers["x-request-id"] = Guid.NewGuid().ToString();
        if (reply.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        await context.Response.WriteAsync(reply.Body.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }

    private Reply Route(string method, string path, IQueryCollection query, Dictionary<string, string> headers, JsonNode? json, bool invalidJson)
    {
        if (!headers.TryGetValue("Authorization", out var auth) || auth != "Bearer " + Token)
        {
            return Error(401, "unauthorized", "API token is invalid.");
        }

        if (!headers.TryGetValue("Notion-Version", out var version) || string.IsNullOrEmpty(version))
        {
            return Error(400, "missing_version", "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.");
        }

        if (!Versions.Contains(version))
        {
            return Error(400, "validation_error", $"Provided API version {version} is not supported.");
        }

        if (invalidJson)
        {
            return Error(400, "invalid_json", "Error parsing JSON body.");
        }

        var fault = _faults.FirstOrDefault(f => f.Method.Equals(method, StringComparison.OrdinalIgnoreCase) && path.Contains(f.PathContains, StringComparison.Ordinal));
        if (fault is not null)
        {
            _faults.Remove(fault);
            if (!fault.ApplyThenFail)
            {
                return Error(fault.Status, fault.Code, fault.Message, fault.RetryAfterSeconds) with { Drop = fault.DropConnection };
            }
        }

        var segments = path.Trim('/').Split('/');
        if (segments.Length < 2 || segments[0] != "v1")
        {
            return Error(400, "invalid_request_url", "Invalid request URL.");
        }

        var reply = (method, segments.Length, segments[1]) switch
        {
            ("GET", 3, "pages") => GetPage(Id(segments[2]), version),
            ("POST", 2, "pages") => CreatePage(json as JsonObject, version),
            ("GET", 4, "blocks") when segments[3] == "children" => ListChildren(Id(segments[2]), query, version),
            ("PATCH", 4, "blocks") when segments[3] == "children" => AppendChildren(Id(segments[2]), json as JsonObject, version),
            ("POST", 2, "search") => Search(json as JsonObject, version),
            ("GET", 3, "databases") => GetDatabase(Id(segments[2]), version),
            ("POST", 4, "databases") when segments[3] == "query" => version == "2022-06-28"
                ? Query(Id(segments[2]), isDatabase: true, json as JsonObject, version)
                : Error(400, "invalid_request_url", $"Invalid request URL: databases/:id/query is not available in Notion-Version {version}; use data_sources/:id/query."),
            ("POST", 4, "data_sources") when segments[3] == "query" => version != "2022-06-28"
                ? Query(Id(segments[2]), isDatabase: false, json as JsonObject, version)
                : Error(400, "invalid_request_url", "Invalid request URL."),
            _ => Error(400, "invalid_request_url", "Invalid request URL."),
        };

        return fault is { ApplyThenFail: true } && reply.Status < 300 ? Error(fault.Status, fault.Code, fault.Message, fault.RetryAfterSeconds) with { Drop = fault.DropConnection } : reply;
    }

    private Reply GetPage(string? id, string version) =>
        id is not null && _nodes.TryGetValue(id, out var node) && node.Kind == "page"
            ? Ok(PageJson(node, version))
            : NotFound("page", id);

    private Reply GetDatabase(string? id, string version)
    {
        if (id is null || !_nodes.TryGetValue(id, out var node) || node.Kind != "database")
        {
            return NotFound("database", id);
        }

        var result = DatabaseJson(node, version);
        if (version != "2022-06-28")
        {
            result["data_sources"] = new JsonArray([.. node.Children.Select(c => (JsonNode)new JsonObject { ["id"] = c, ["name"] = _nodes[c].Title })]);
        }

        return Ok(result);
    }

    private Reply ListChildren(string? id, IQueryCollection query, string version)
    {
        if (id is null || !_nodes.TryGetValue(id, out var parent) || parent.Kind is not ("page" or "block"))
        {
            return NotFound("block", id);
        }

        var pageSize = query.TryGetValue("page_size", out var size) && int.TryParse(size, out var n) ? n : 100;
        if (pageSize is < 1 or > 100)
        {
            return Error(400, "validation_error", $"body failed validation: page_size should be ≤ `100`, instead was `{pageSize}`.");
        }

        var items = parent.Children.Select(c => _nodes[c]).Where(c => c.Kind is "page" or "block" or "database").ToList();
        return Paginate(items, query.TryGetValue("start_cursor", out var cursor) ? cursor.ToString() : null, pageSize, node => BlockJson(node, version), "block");
    }

    private Reply Search(JsonObject? body, string version)
    {
        body ??= [];
        var text = body["query"]?.GetValue<string>() ?? string.Empty;
        var filterValue = body["filter"]?["value"]?.GetValue<string>();
        if (body["filter"] is JsonObject filter && filter["property"]?.GetValue<string>() != "object")
        {
            return Error(400, "validation_error", "body failed validation: body.filter.property should be `\"object\"`.");
        }

        var allowed = version == "2022-06-28" ? new[] { "page", "database" } : ["page", "data_source"];
        if (filterValue is not null && !allowed.Contains(filterValue))
        {
            return Error(400, "validation_error", $"body failed validation: body.filter.value should be `\"{allowed[0]}\"` or `\"{allowed[1]}\"`, instead was `\"{filterValue}\"`.");
        }

        var pageSize = body["page_size"]?.GetValue<int>() ?? 100;
        if (pageSize is < 1 or > 100)
        {
            return Error(400, "validation_error", $"body failed validation: body.page_size should be ≤ `100`, instead was `{pageSize}`.");
        }

        var containerKind = version == "2022-06-28" ? "database" : "data_source";
        var items = _order.Select(id => _nodes[id])
            .Where(n => n.Kind == "page" || n.Kind == containerKind)
            .Where(n => filterValue is null || n.Kind == filterValue)
            .Where(n => n.Title.Contains(text, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(n => n.Edited).ThenBy(n => _order.IndexOf(n.Id))
            .ToList();
        var reply = Paginate(items, body["start_cursor"]?.GetValue<string>(), pageSize, n => n.Kind == "page" ? PageJson(n, version) : DatabaseJson(n, version), version == "2022-06-28" ? "page_or_database" : "page_or_data_source");
        return reply;
    }

    private Reply Query(string? id, bool isDatabase, JsonObject? body, string version)
    {
        body ??= [];
        Node? source = null;
        if (id is not null && _nodes.TryGetValue(id, out var node))
        {
            source = isDatabase && node.Kind == "database" ? _nodes[node.Children[0]] : !isDatabase && node.Kind == "data_source" ? node : null;
        }

        if (source is null)
        {
            return NotFound(isDatabase ? "database" : "data source", id);
        }

        var rows = new List<Node>();
        foreach (var row in source.Children.Select(c => _nodes[c]))
        {
            if (body["filter"] is JsonNode filter)
            {
                var matched = Matches(row, filter, out var error);
                if (error is not null)
                {
                    return Error(400, "validation_error", error);
                }

                if (!matched)
                {
                    continue;
                }
            }

            rows.Add(row);
        }

        var pageSize = body["page_size"]?.GetValue<int>() ?? 100;
        return Paginate(rows, body["start_cursor"]?.GetValue<string>(), pageSize, n => PageJson(n, version), isDatabase ? "page_or_database" : "page_or_data_source");
    }

    private Reply CreatePage(JsonObject? body, string version)
    {
        if (body?["parent"] is not JsonObject parent)
        {
            return Error(400, "validation_error", "body failed validation: body.parent should be defined, instead was `undefined`.");
        }

        string? parentId;
        string parentType;
        if (parent["page_id"] is JsonNode pageId)
        {
            parentType = "page_id";
            parentId = Id(pageId.GetValue<string>());
            if (parentId is null || !_nodes.TryGetValue(parentId, out var p) || p.Kind != "page")
            {
                return NotFound("page", parentId);
            }
        }
        else if (parent["data_source_id"] is JsonNode sourceId)
        {
            if (version == "2022-06-28")
            {
                return Error(400, "validation_error", "body failed validation: body.parent.database_id should be defined, instead was `undefined`.");
            }

            parentType = "data_source_id";
            parentId = Id(sourceId.GetValue<string>());
            if (parentId is null || !_nodes.TryGetValue(parentId, out var s) || s.Kind != "data_source")
            {
                return NotFound("data source", parentId);
            }
        }
        else if (parent["database_id"] is JsonNode databaseId)
        {
            parentType = "data_source_id";
            var dbId = Id(databaseId.GetValue<string>());
            if (dbId is null || !_nodes.TryGetValue(dbId, out var db) || db.Kind != "database")
            {
                return NotFound("database", dbId);
            }

            parentId = db.Children[0];
        }
        else
        {
            return Error(400, "validation_error", "body failed validation: body.parent should be one of page_id, data_source_id, database_id, workspace.");
        }

        if (body["properties"]?["title"]?["title"] is not JsonArray title)
        {
            return Error(400, "validation_error", "body failed validation: body.properties.title should be defined, instead was `undefined`.");
        }

        var titleError = ValidateRichText(title, "body.properties.title.title");
        if (titleError is not null)
        {
            return Error(400, "validation_error", titleError);
        }

        JsonArray children = body["children"] as JsonArray ?? [];
        var elements = 0;
        var error = ValidateChildren(children, "body.children", 0, ref elements);
        if (error is not null)
        {
            return Error(400, "validation_error", error);
        }

        var page = NewNode("page", null);
        page.Title = string.Concat(title.Select(t => t?["text"]?["content"]?.GetValue<string>() ?? string.Empty));
        page.ParentType = parentType;
        page.ParentId = parentId;
        _nodes[parentId!].Children.Add(page.Id);
        foreach (var child in children)
        {
            Store(page.Id, (JsonObject)child!.DeepClone());
        }

        return Ok(PageJson(page, version));
    }

    private Reply AppendChildren(string? id, JsonObject? body, string version)
    {
        if (id is null || !_nodes.TryGetValue(id, out var parent) || parent.Kind is not ("page" or "block"))
        {
            return NotFound("block", id);
        }

        if (body?["children"] is not JsonArray children)
        {
            return Error(400, "validation_error", "body failed validation: body.children should be defined, instead was `undefined`.");
        }

        var elements = 0;
        var error = ValidateChildren(children, "body.children", 0, ref elements);
        if (error is not null)
        {
            return Error(400, "validation_error", error);
        }

        var ids = children.Select(c => Store(id, (JsonObject)c!.DeepClone())).ToList();
        PageOf(parent).Edited = ++_clock;
        return Ok(new JsonObject
        {
            ["object"] = "list",
            ["results"] = new JsonArray([.. ids.Select(i => (JsonNode)BlockJson(_nodes[i], version))]),
            ["next_cursor"] = null,
            ["has_more"] = false,
            ["type"] = "block",
            ["block"] = new JsonObject(),
        });
    }

    private static string? ValidateChildren(JsonArray children, string path, int depth, ref int elements)
    {
        if (children.Count > 100)
        {
            return $"body failed validation: {path}.length should be ≤ `100`, instead was `{children.Count}`.";
        }

        for (var i = 0; i < children.Count; i++)
        {
            elements++;
            if (elements > 1000)
            {
                return "body failed validation: the request has more than 1000 block elements.";
            }

            if (children[i] is not JsonObject block || block["type"]?.GetValue<string>() is not { } type || !WritableTypes.Contains(type) || block[type] is not JsonObject body)
            {
                return $"body failed validation: {path}[{i}] should be a supported block, instead was `{children[i]?.ToJsonString()}`.";
            }

            foreach (var key in new[] { "rich_text", "caption" })
            {
                if (body[key] is JsonArray richText && ValidateRichText(richText, $"{path}[{i}].{type}.{key}") is { } error)
                {
                    return error;
                }
            }

            if (body["children"] is JsonArray nested)
            {
                if (depth >= 2)
                {
                    return $"body failed validation: {path}[{i}].{type}.children should be not present, instead was `[...]` (at most two levels of nesting per request).";
                }

                var error = ValidateChildren(nested, $"{path}[{i}].{type}.children", depth + 1, ref elements);
                if (error is not null)
                {
                    return error;
                }
            }
        }

        return null;
    }

    private static string? ValidateRichText(JsonArray richText, string path)
    {
        if (richText.Count > 100)
        {
            return $"body failed validation: {path}.length should be ≤ `100`, instead was `{richText.Count}`.";
        }

        for (var j = 0; j < richText.Count; j++)
        {
            var content = richText[j]?["text"]?["content"]?.GetValue<string>();
            if (content is not null && content.Length > 2000)
            {
                return $"body failed validation: {path}[{j}].text.content.length should be ≤ `2000`, instead was `{content.Length}`.";
            }
        }

        return null;
    }

    private bool Matches(Node row, JsonNode filter, out string? error)
    {
        error = null;
        if (filter["and"] is JsonArray all)
        {
            foreach (var part in all)
            {
                if (!Matches(row, part!, out error))
                {
                    return false;
                }
            }

            return true;
        }

        if (filter["or"] is JsonArray any)
        {
            foreach (var part in any)
            {
                if (Matches(row, part!, out error) || error is not null)
                {
                    return error is null;
                }
            }

            return false;
        }

        var name = filter["property"]?.GetValue<string>();
        if (name is null)
        {
            error = "body failed validation: body.filter.property should be defined, instead was `undefined`.";
            return false;
        }

        var properties = RowProperties(row);
        if (properties[name] is not JsonObject property)
        {
            error = $"Could not find property with name or id: {name}.";
            return false;
        }

        var type = property["type"]!.GetValue<string>();
        if (filter[type] is not JsonObject condition)
        {
            error = $"body failed validation: body.filter.{type} should be defined for property {name} of type {type}.";
            return false;
        }

        var value = PlainValue(property);
        var (op, operand) = (condition.First().Key, condition.First().Value);
        var expected = operand is JsonValue v && v.TryGetValue<bool>(out var b) ? (b ? "true" : "false") : operand?.ToString() ?? string.Empty;
        switch (op)
        {
            case "equals":
                return string.Equals(value, expected, StringComparison.Ordinal);
            case "does_not_equal":
                return !string.Equals(value, expected, StringComparison.Ordinal);
            case "contains":
                return value.Contains(expected, StringComparison.OrdinalIgnoreCase);
            case "does_not_contain":
                return !value.Contains(expected, StringComparison.OrdinalIgnoreCase);
            default:
                error = $"body failed validation: body.filter.{type}.{op} is not supported by this server.";
                return false;
        }
    }

    private static string PlainValue(JsonObject property)
    {
        var type = property["type"]!.GetValue<string>();
        var value = property[type];
        return type switch
        {
            "title" or "rich_text" => string.Concat((value as JsonArray ?? []).Select(t => t?["plain_text"]?.GetValue<string>() ?? t?["text"]?["content"]?.GetValue<string>())),
            "select" or "status" => value?["name"]?.GetValue<string>() ?? string.Empty,
            "checkbox" => value?.GetValue<bool>() == true ? "true" : "false",
            _ => value?.ToString() ?? string.Empty,
        };
    }

    // ------------------------------------------------------------------ storage and JSON shapes

    private Node NewNode(string kind, string? id)
    {
        var node = new Node(id ?? Guid.NewGuid().ToString(), kind) { Edited = ++_clock };
        _nodes[node.Id] = node;
        _order.Add(node.Id);
        return node;
    }

    private string Store(string parentId, JsonObject block)
    {
        var type = block["type"]!.GetValue<string>();
        var body = block[type] as JsonObject ?? [];
        var children = body["children"] as JsonArray;
        body.Remove("children");
        var node = NewNode("block", null);
        node.Type = type;
        node.Body = Normalize(body);
        node.ParentId = parentId;
        node.ParentType = _nodes[parentId].Kind == "page" ? "page_id" : "block_id";
        _nodes[parentId].Children.Add(node.Id);
        foreach (var child in children ?? [])
        {
            Store(node.Id, (JsonObject)child!.DeepClone());
        }

        return node.Id;
    }

    private Node PageOf(Node node)
    {
        while (node.Kind != "page" && node.ParentId is not null)
        {
            node = _nodes[node.ParentId];
        }

        return node;
    }

    /// <summary>Fills in what Notion adds to rich text: plain_text, href, full annotations.</summary>
    private static JsonObject Normalize(JsonObject body)
    {
        foreach (var key in new[] { "rich_text", "caption" })
        {
            if (body[key] is JsonArray items)
            {
                body[key] = NormalizeRichText(items);
            }
        }

        if (body["cells"] is JsonArray cells)
        {
            body["cells"] = new JsonArray([.. cells.Select(c => (JsonNode)NormalizeRichText((JsonArray)c!))]);
        }

        return body;
    }

    private static JsonArray NormalizeRichText(JsonArray items)
    {
        var result = new JsonArray();
        foreach (var item in items.Select(i => (JsonObject)i!.DeepClone()))
        {
            var type = item["type"]?.GetValue<string>() ?? "text";
            item["type"] = type;
            var annotations = item["annotations"] as JsonObject ?? [];
            foreach (var flag in new[] { "bold", "italic", "strikethrough", "underline", "code" })
            {
                annotations[flag] ??= false;
            }

            annotations["color"] ??= "default";
            item["annotations"] = annotations;
            if (type == "text")
            {
                item["plain_text"] ??= item["text"]?["content"]?.GetValue<string>() ?? string.Empty;
                item["href"] ??= item["text"]?["link"]?["url"]?.GetValue<string>();
            }
            else if (type == "equation")
            {
                item["plain_text"] ??= item["equation"]?["expression"]?.GetValue<string>() ?? string.Empty;
                item["href"] ??= null;
            }

            result.Add(item);
        }

        return result;
    }

    private JsonObject PageJson(Node node, string version)
    {
        var properties = RowProperties(node);
        var result = new JsonObject
        {
            ["object"] = "page",
            ["id"] = node.Id,
            ["created_time"] = Time(node.Created),
            ["last_edited_time"] = Time(PageEdited(node)),
            ["created_by"] = new JsonObject { ["object"] = "user", ["id"] = "6d1b6a39-1b7a-4c7f-8d8e-1a1f0c9a7a11" },
            ["last_edited_by"] = new JsonObject { ["object"] = "user", ["id"] = "6d1b6a39-1b7a-4c7f-8d8e-1a1f0c9a7a11" },
            ["cover"] = null,
            ["icon"] = null,
            ["parent"] = Parent(node, version),
            ["properties"] = properties,
            ["url"] = $"https://www.notion.so/{Slug(node.Title)}{node.Id.Replace("-", string.Empty, StringComparison.Ordinal)}",
            ["public_url"] = null,
        };
        AddTrash(result, version, node.InTrash);
        return result;
    }

    private JsonObject RowProperties(Node node)
    {
        var properties = (JsonObject)(node.Properties?.DeepClone() ?? new JsonObject());
        foreach (var property in properties.ToList())
        {
            if (property.Value is JsonObject value && value["type"]?.GetValue<string>() is { } type && type is "rich_text" or "title" && value[type] is JsonArray items)
            {
                value[type] = NormalizeRichText(items);
            }
        }

        var titleName = node.ParentType == "data_source_id" ? "Name" : "title";
        properties[titleName] = new JsonObject
        {
            ["id"] = "title",
            ["type"] = "title",
            ["title"] = NormalizeRichText([Text(node.Title)]),
        };
        return properties;
    }

    private JsonObject DatabaseJson(Node node, string version)
    {
        var result = new JsonObject
        {
            ["object"] = node.Kind,
            ["id"] = node.Id,
            ["created_time"] = Time(node.Created),
            ["last_edited_time"] = Time(node.Edited),
            ["title"] = NormalizeRichText([Text(node.Title)]),
            ["parent"] = Parent(node, version),
        };
        if (node.Kind == "database")
        {
            result["url"] = "https://www.notion.so/" + node.Id.Replace("-", string.Empty, StringComparison.Ordinal);
        }

        AddTrash(result, version);
        return result;
    }

    private JsonObject BlockJson(Node node, string version)
    {
        string type;
        JsonObject body;
        bool hasChildren;
        if (node.Kind == "page")
        {
            type = "child_page";
            body = new JsonObject { ["title"] = node.Title };
            hasChildren = node.Children.Count > 0;
        }
        else if (node.Kind == "database")
        {
            type = "child_database";
            body = new JsonObject { ["title"] = node.Title };
            hasChildren = false;
        }
        else
        {
            type = node.Type!;
            body = (JsonObject)node.Body!.DeepClone();
            hasChildren = node.Children.Count > 0;
        }

        var result = new JsonObject
        {
            ["object"] = "block",
            ["id"] = node.Id,
            ["parent"] = node.ParentId is null ? null : new JsonObject { ["type"] = node.ParentType == "page_id" ? "page_id" : "block_id", [node.ParentType == "page_id" ? "page_id" : "block_id"] = node.ParentId },
            ["created_time"] = Time(node.Created),
            ["last_edited_time"] = Time(node.Edited),
            ["has_children"] = hasChildren,
            ["type"] = type,
            [type] = body,
        };
        AddTrash(result, version);
        return result;
    }

    private JsonObject Parent(Node node, string version) => node.ParentType switch
    {
        "page_id" => new JsonObject { ["type"] = "page_id", ["page_id"] = node.ParentId },
        "data_source_id" when version == "2022-06-28" => new JsonObject { ["type"] = "database_id", ["database_id"] = _nodes[node.ParentId!].ParentId },
        "data_source_id" => new JsonObject { ["type"] = "data_source_id", ["data_source_id"] = node.ParentId, ["database_id"] = _nodes[node.ParentId!].ParentId },
        "database_id" => new JsonObject { ["type"] = "database_id", ["database_id"] = node.ParentId },
        _ => new JsonObject { ["type"] = "workspace", ["workspace"] = true },
    };

    private static void AddTrash(JsonObject json, string version, bool inTrash = false)
    {
        // 2026-03-11 renamed archived to in_trash everywhere; 2025-09-03 sends both.
        if (version != "2026-03-11")
        {
            json["archived"] = inTrash;
        }

        if (version != "2022-06-28")
        {
            json["in_trash"] = inTrash;
        }
    }

    private int PageEdited(Node page) => Math.Max(page.Edited, page.Children.Select(c => _nodes[c]).Where(c => c.Kind == "block").Select(BlockEdited).DefaultIfEmpty(0).Max());

    private int BlockEdited(Node block) => Math.Max(block.Edited, block.Children.Select(c => _nodes[c]).Where(c => c.Kind == "block").Select(BlockEdited).DefaultIfEmpty(0).Max());

    private static string Time(int tick) => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(tick).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Slug(string title)
    {
        var words = new string([.. title.Select(c => char.IsLetterOrDigit(c) ? c : ' ')]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words.Length == 0 ? string.Empty : string.Join('-', words) + "-";
    }

    private Reply Paginate(List<Node> items, string? cursor, int pageSize, Func<Node, JsonObject> render, string listType)
    {
        var start = 0;
        if (cursor is not null)
        {
            start = items.FindIndex(n => n.Id == cursor);
            if (start < 0)
            {
                return Error(400, "validation_error", $"body failed validation: start_cursor `{cursor}` is not a valid cursor.");
            }
        }

        var size = Math.Min(pageSize, PageSizeCap);
        var page = items.Skip(start).Take(size).ToList();
        var hasMore = start + size < items.Count;
        var result = new JsonObject
        {
            ["object"] = "list",
            ["results"] = new JsonArray([.. page.Select(n => (JsonNode)render(n))]),
            ["next_cursor"] = hasMore ? items[start + size].Id : null,
            ["has_more"] = hasMore,
            ["type"] = listType,
            [listType] = new JsonObject(),
        };
        return Ok(result);
    }

    private static string? Id(string text)
    {
        var compact = text.Replace("-", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
        if (compact.Length != 32 || !compact.All(char.IsAsciiHexDigit))
        {
            return null;
        }

        return $"{compact[..8]}-{compact[8..12]}-{compact[12..16]}-{compact[16..20]}-{compact[20..]}";
    }

    private static Reply NotFound(string what, string? id) =>
        Error(404, "object_not_found", $"Could not find {what} with ID: {id}. Make sure the relevant pages and databases are shared with your integration.");

    private static Reply Ok(JsonObject body) => new(200, body, null);

    private static Reply Error(int status, string code, string message, int? retryAfter = null) => new(status, new JsonObject
    {
        ["object"] = "error",
        ["status"] = status,
        ["code"] = code,
        ["message"] = message,
        ["request_id"] = Guid.NewGuid().ToString(),
    }, retryAfter);

    private sealed record Reply(int Status, JsonObject Body, int? RetryAfter)
    {
        public bool Drop { get; init; }
    }

    private sealed class Node(string id, string kind)
    {
        public string Id { get; } = id;

        public string Kind { get; } = kind;

        public string Title { get; set; } = string.Empty;

        public string? Type { get; set; }

        public JsonObject? Body { get; set; }

        public JsonObject? Properties { get; set; }

        public string? ParentId { get; set; }

        public string ParentType { get; set; } = "workspace";

        public List<string> Children { get; } = [];

        public int Created { get; init; }

        public int Edited { get; set; }

        public bool InTrash { get; set; }
    }
}
