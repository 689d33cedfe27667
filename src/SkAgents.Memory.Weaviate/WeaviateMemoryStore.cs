using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SkAgents.Memory.Storage;

namespace SkAgents.Memory.Weaviate;

/// <summary>
/// An <see cref="IMemoryStore"/> over Weaviate's REST and GraphQL APIs (no gRPC, no client library).
/// </summary>
/// <remarks>
/// <para>Layout: one class (collection) per index, named by <see cref="WeaviateCollectionNames"/>, created lazily with
/// <c>vectorizer: "none"</c> and cosine distance. Every object carries the document's metadata, so a search hit needs
/// no second lookup. The document record is an object of the same class with <c>partitionNumber = -1</c>, empty text
/// and no vector: one class per index keeps <see cref="DeleteIndexAsync"/> a single schema delete and lets one batch
/// delete on <c>documentId</c> remove a document and its partitions together; searches exclude it with
/// <c>partitionNumber &gt;= 0</c>.</para>
/// <para>Object ids are name-based UUIDs (version 5, SHA-1) of index, document id and partition number, so a retried
/// import overwrites instead of duplicating.</para>
/// <para>Tags (including the reserved <c>__document_id</c> and <c>__media_type</c>) are stored in a <c>text[]</c>
/// property <c>tags</c> as <c>key=value</c> with field tokenization; a filter becomes <c>ContainsAll</c> over its
/// required pairs and <c>Not(ContainsAny)</c> over its excluded pairs, filters are joined by <c>Or</c>.</para>
/// <para>Atomicity: Weaviate has no transactions. A save deletes the document's objects and batch-imports the new ones;
/// a concurrent reader can briefly see no version of the document (never a mix of versions from one save that
/// completed). When an object fails, or the call is cancelled, everything written for the document is deleted again
/// before the exception surfaces.</para>
/// </remarks>
public sealed class WeaviateMemoryStore : IMemoryStore
{
    private const int DocumentRecordPartition = -1;
    private const int ListPageSize = 100;
    private const string ApiKeySetting = nameof(WeaviateMemoryStoreOptions) + "." + nameof(WeaviateMemoryStoreOptions.ApiKey);
    private static readonly Guid IdNamespace = new("6f1b2d0e-5c3a-4e8b-9a7d-2f4c1e0b8a91");
    private static readonly string ObjectFields =
        "documentId index sourceName sourceUrl mediaType contentHash partitionNumber partitionCount text sectionPath tags updatedAt";

    private readonly WeaviateMemoryStoreOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Uri _root;
    private readonly ConcurrentDictionary<string, bool> _knownClasses = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _dimensions = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _schemaLock = new(1, 1);

    /// <summary>Initializes a new instance of the <see cref="WeaviateMemoryStore"/> class.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="httpClient">An HTTP client to use (not disposed by the store); null to create one.</param>
    public WeaviateMemoryStore(WeaviateMemoryStoreOptions options, HttpClient? httpClient = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Endpoint);
        WeaviateCollectionNames.ValidatePrefix(options.CollectionPrefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        if (options.Timeout <= TimeSpan.Zero && options.Timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Timeout must be positive.");
        }

        _options = options;
        string root = options.Endpoint.AbsoluteUri.TrimEnd('/');
        if (root.EndsWith("/v1", StringComparison.OrdinalIgnoreCase))
        {
            root = root[..^3];
        }

        _root = new Uri(root + "/");
        _ownsHttp = httpClient is null;
        _http = httpClient ?? new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    /// <summary>Gets the class name an index maps to.</summary>
    /// <param name="index">The index.</param>
    /// <returns>The Weaviate class name.</returns>
    public string GetClassName(string index) => WeaviateCollectionNames.ToClassName(_options.CollectionPrefix, index);

    /// <summary>Gets the deterministic object id of a document's partition (-1 = the document record).</summary>
    /// <param name="index">The index.</param>
    /// <param name="documentId">The document id.</param>
    /// <param name="partitionNumber">The partition number.</param>
    /// <returns>The UUID (version 5).</returns>
    public static Guid GetObjectId(string index, string documentId, int partitionNumber)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(documentId);
        byte[] name = Encoding.UTF8.GetBytes($"{index.Length}:{index}\n{documentId}\n{partitionNumber.ToString(CultureInfo.InvariantCulture)}");
        byte[] input = new byte[16 + name.Length];
        IdNamespace.TryWriteBytes(input, bigEndian: true, out _);
        name.CopyTo(input, 16);
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 prescribes for name-based UUIDs; no security depends on it.
        byte[] hash = SHA1.HashData(input);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    /// <summary>Asks <c>GET /v1/.well-known/ready</c> whether the server is ready.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>True on 200/204, false on 503.</returns>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken = default)
    {
        var (status, _) = await SendAsync("readiness check", HttpMethod.Get, "v1/.well-known/ready", null, cancellationToken, HttpStatusCode.ServiceUnavailable).ConfigureAwait(false);
        return status != HttpStatusCode.ServiceUnavailable;
    }

    /// <summary>Polls readiness until the server is ready or the time is up.</summary>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task.</returns>
    /// <exception cref="WeaviateException">Not ready in time.</exception>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await IsReadyAsync(cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (WeaviateException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new WeaviateException("readiness check", HttpStatusCode.ServiceUnavailable, $"not ready after {timeout}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async Task<MemoryDocument?> GetDocumentAsync(string index, string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(documentId);
        string cls = GetClassName(index);
        if (!await ClassExistsAsync(cls, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        Guid id = GetObjectId(index, documentId, DocumentRecordPartition);
        var (status, json) = await SendAsync($"get document '{documentId}' from {cls}", HttpMethod.Get, $"v1/objects/{cls}/{id:D}", null, cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        if (status == HttpStatusCode.NotFound || json?["properties"] is not JsonObject props)
        {
            return null;
        }

        return ReadDocument(index, props);
    }

    /// <inheritdoc/>
    public async Task SaveDocumentAsync(MemoryDocument document, IReadOnlyList<MemoryPartition> partitions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(partitions);
        ArgumentException.ThrowIfNullOrEmpty(document.DocumentId);
        string cls = GetClassName(document.Index);
        List<string> tags = EncodeTags(document);
        int? dims = null;
        for (int i = 0; i < partitions.Count; i++)
        {
            if (partitions[i].PartitionNumber != i)
            {
                throw new ArgumentException($"Partitions must be numbered from 0 in order; found {partitions[i].PartitionNumber} at position {i}.", nameof(partitions));
            }

            if (partitions[i].Embedding is { } e)
            {
                if (dims is { } d && d != e.Length)
                {
                    throw new ArgumentException($"Partition {i} has a {e.Length}-dimensional embedding; earlier ones have {d}.", nameof(partitions));
                }

                dims = e.Length;
            }
        }

        // Checked before anything is deleted or written: Weaviate would refuse the batch half-way, after the old version is gone.
        if (dims is { } newDims && _dimensions.TryGetValue(cls, out int known) && known != newDims)
        {
            throw new ArgumentException(
                $"Document '{document.DocumentId}' has {newDims}-dimensional embeddings but index '{document.Index}' holds {known}-dimensional ones; re-embed with the index's model or use another index.",
                nameof(partitions));
        }

        await EnsureClassAsync(document.Index, cls, cancellationToken).ConfigureAwait(false);
        string operation = $"save document '{document.DocumentId}' in {cls}";
        await DeleteByDocumentAsync(cls, document.DocumentId, operation, cancellationToken).ConfigureAwait(false);

        var objects = new List<(JsonObject Obj, string Id, int Partition)>(partitions.Count + 1);
        objects.Add(BuildObject(cls, document, tags, DocumentRecordPartition, string.Empty, null, null, partitions.Count));
        foreach (MemoryPartition p in partitions)
        {
            objects.Add(BuildObject(cls, document, tags, p.PartitionNumber, p.Text ?? string.Empty, p.SectionPath, p.Embedding, partitions.Count));
        }

        bool written = false;
        try
        {
            for (int start = 0; start < objects.Count; start += _options.BatchSize)
            {
                var batch = objects.Skip(start).Take(_options.BatchSize).ToList();
                var body = new JsonObject { ["objects"] = new JsonArray([.. batch.Select(b => (JsonNode)b.Obj)]) };
                written = true;
                var (_, json) = await SendAsync(operation + " (batch import)", HttpMethod.Post, "v1/batch/objects", body, cancellationToken).ConfigureAwait(false);
                CheckBatchResult(operation, json, batch);
            }
        }
        catch (Exception ex) when (written && ex is WeaviateException or OperationCanceledException or HttpRequestException)
        {
            try
            {
                await DeleteByDocumentAsync(cls, document.DocumentId, operation + " (rollback)", CancellationToken.None).ConfigureAwait(false);
            }
            catch (WeaviateException rollback)
            {
                throw new WeaviateException($"{ex.Message} The rollback failed too: {rollback.Message}", ex);
            }

            throw;
        }

        if (dims is { } dim)
        {
            _dimensions[cls] = dim;
        }
    }

    /// <inheritdoc/>
    public async Task<bool> DeleteDocumentAsync(string index, string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(documentId);
        string cls = GetClassName(index);
        if (!await ClassExistsAsync(cls, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        long deleted = await DeleteByDocumentAsync(cls, documentId, $"delete document '{documentId}' from {cls}", cancellationToken).ConfigureAwait(false);
        return deleted > 0;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<MemoryDocument> ListDocumentsAsync(string index, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string cls = GetClassName(index);
        if (!await ClassExistsAsync(cls, cancellationToken).ConfigureAwait(false))
        {
            yield break;
        }

        string where = "{path: [\"partitionNumber\"], operator: Equal, valueInt: -1}";
        for (int offset = 0; ; offset += ListPageSize)
        {
            string query = $"{{ Get {{ {cls}(limit: {ListPageSize}, offset: {offset}, where: {where}) {{ {ObjectFields} _additional {{ id }} }} }} }}";
            JsonArray items = await GetAsync($"list documents of {cls}", cls, query, cancellationToken).ConfigureAwait(false);
            foreach (JsonNode? item in items)
            {
                if (item is JsonObject o)
                {
                    yield return ReadDocument(index, o);
                }
            }

            if (items.Count < ListPageSize)
            {
                yield break;
            }
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<string>> ListIndexesAsync(CancellationToken cancellationToken = default)
    {
        var (_, json) = await SendAsync("list collections", HttpMethod.Get, "v1/schema", null, cancellationToken).ConfigureAwait(false);
        var result = new List<string>();
        if (json?["classes"] is JsonArray classes)
        {
            foreach (JsonNode? c in classes)
            {
                if (c?["class"]?.GetValue<string>() is { } name && WeaviateCollectionNames.TryGetIndexName(_options.CollectionPrefix, name, out string index))
                {
                    result.Add(index);
                }
            }
        }

        result.Sort(StringComparer.Ordinal);
        return result;
    }

    /// <inheritdoc/>
    public async Task DeleteIndexAsync(string index, CancellationToken cancellationToken = default)
    {
        string cls = GetClassName(index);
        await SendAsync($"delete collection {cls}", HttpMethod.Delete, $"v1/schema/{cls}", null, cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        _knownClasses.TryRemove(cls, out _);
        _dimensions.TryRemove(cls, out _);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<ScoredPartition>> SearchAsync(string index, MemoryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        string cls = GetClassName(index);
        if (query.Mode is SearchMode.Vector or SearchMode.Hybrid)
        {
            if (query.Vector is not { } v || v.Length == 0)
            {
                throw new ArgumentException($"{query.Mode} search needs a query vector.", nameof(query));
            }

            if (_dimensions.TryGetValue(cls, out int dims) && dims != v.Length)
            {
                throw new ArgumentException($"The query vector has {v.Length} dimensions; index '{index}' holds {dims}.", nameof(query));
            }
        }

        if (query.Limit <= 0 || (query.Mode == SearchMode.Keyword && string.IsNullOrWhiteSpace(query.Text)))
        {
            return [];
        }

        if (!await ClassExistsAsync(cls, cancellationToken).ConfigureAwait(false))
        {
            return [];
        }

        var args = new List<string> { $"limit: {query.Limit.ToString(CultureInfo.InvariantCulture)}", "where: " + BuildWhere(query.Filters) };
        string text = GraphQLString(query.Text ?? string.Empty);
        switch (query.Mode)
        {
            case SearchMode.Vector:
                string distance = query.MinRelevance > 0 ? ", distance: " + Number(Math.Clamp(1 - query.MinRelevance, 0, 2)) : string.Empty;
                args.Add($"nearVector: {{vector: {Vector(query.Vector!.Value)}{distance}}}");
                break;
            case SearchMode.Keyword:
                args.Add($"bm25: {{query: {text}, properties: [\"text\"]}}");
                break;
            default:
                args.Add($"hybrid: {{query: {text}, alpha: {Number(_options.HybridAlpha)}, vector: {Vector(query.Vector!.Value)}, properties: [\"text\"], fusionType: relativeScoreFusion}}");
                break;
        }

        if (_options.Autocut > 0)
        {
            args.Add($"autocut: {_options.Autocut.ToString(CultureInfo.InvariantCulture)}");
        }

        string gql = $"{{ Get {{ {cls}({string.Join(", ", args)}) {{ {ObjectFields} _additional {{ id distance score vector }} }} }} }}";
        JsonArray items = await GetAsync($"{query.Mode.ToString().ToLowerInvariant()} search in {cls}", cls, gql, cancellationToken).ConfigureAwait(false);
        var hits = new List<ScoredPartition>(items.Count);
        foreach (JsonNode? item in items)
        {
            if (item is not JsonObject o)
            {
                continue;
            }

            JsonNode? additional = o["_additional"];
            double relevance = query.Mode switch
            {
                SearchMode.Vector => 1 - (ReadDouble(additional?["distance"]) ?? 1),
                SearchMode.Keyword => ReadDouble(additional?["score"]) is { } s && s > 0 ? s / (s + 1) : 0,
                _ => ReadDouble(additional?["score"]) ?? 0,
            };
            relevance = Math.Clamp(relevance, 0, 1);
            if (relevance < query.MinRelevance)
            {
                continue;
            }

            ReadOnlyMemory<float>? embedding = additional?["vector"] is JsonArray vec && vec.Count > 0
                ? vec.Select(x => (float)(ReadDouble(x) ?? 0)).ToArray()
                : null;
            var partition = new MemoryPartition(
                (int)(ReadDouble(o["partitionNumber"]) ?? 0),
                ReadString(o["text"]) ?? string.Empty,
                NullIfEmpty(ReadString(o["sectionPath"])),
                embedding);
            hits.Add(new ScoredPartition(ReadDocument(index, o), partition, relevance));
        }

        return [.. hits.OrderByDescending(h => h.Relevance).Take(query.Limit)];
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }

        _schemaLock.Dispose();
        return ValueTask.CompletedTask;
    }

    private static List<string> EncodeTags(MemoryDocument document)
    {
        var tags = new List<string>
        {
            $"{ReservedTags.DocumentId}={document.DocumentId}",
            $"{ReservedTags.MediaType}={document.MediaType}",
        };
        foreach (var (key, values) in document.Tags)
        {
            if (ReservedTags.IsReserved(key))
            {
                throw new ArgumentException($"Tag key '{key}' is reserved.", nameof(document));
            }

            if (key.Contains('=', StringComparison.Ordinal))
            {
                throw new ArgumentException($"Tag key '{key}' contains '=', which the Weaviate store uses as separator.", nameof(document));
            }

            tags.AddRange(values.Select(v => $"{key}={v}"));
        }

        return tags;
    }

    private static (JsonObject Obj, string Id, int Partition) BuildObject(
        string cls, MemoryDocument document, List<string> tags, int partition, string text, string? sectionPath, ReadOnlyMemory<float>? embedding, int partitionCount)
    {
        string id = GetObjectId(document.Index, document.DocumentId, partition).ToString("D");
        var props = new JsonObject
        {
            ["documentId"] = document.DocumentId,
            ["index"] = document.Index,
            ["sourceName"] = document.SourceName,
            ["mediaType"] = document.MediaType,
            ["contentHash"] = document.ContentHash,
            ["partitionNumber"] = partition,
            ["partitionCount"] = partitionCount,
            ["text"] = text,
            ["tags"] = new JsonArray([.. tags.Select(t => (JsonNode)JsonValue.Create(t))]),
            ["updatedAt"] = document.UpdatedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
        };
        if (document.SourceUrl is not null)
        {
            props["sourceUrl"] = document.SourceUrl;
        }

        if (sectionPath is not null)
        {
            props["sectionPath"] = sectionPath;
        }

        var obj = new JsonObject { ["class"] = cls, ["id"] = id, ["properties"] = props };
        if (embedding is { } e)
        {
            obj["vector"] = new JsonArray([.. e.ToArray().Select(f => (JsonNode)JsonValue.Create(f))]);
        }

        return (obj, id, partition);
    }

    private static void CheckBatchResult(string operation, JsonNode? json, List<(JsonObject Obj, string Id, int Partition)> batch)
    {
        if (json is not JsonArray results)
        {
            throw new WeaviateException(operation + " (batch import)", null, "the response is not a JSON array");
        }

        var byId = batch.ToDictionary(b => b.Id, b => b.Partition, StringComparer.OrdinalIgnoreCase);
        foreach (JsonNode? r in results)
        {
            JsonNode? result = r?["result"];
            string? message = ErrorMessages(result?["errors"]);
            bool failed = message is not null || string.Equals(ReadString(result?["status"]), "FAILED", StringComparison.OrdinalIgnoreCase);
            if (failed)
            {
                string id = ReadString(r?["id"]) ?? "?";
                throw new WeaviateBatchException(operation, id, byId.TryGetValue(id, out int p) ? p : int.MinValue, message ?? "status FAILED");
            }
        }

        if (results.Count != batch.Count)
        {
            throw new WeaviateException(operation + " (batch import)", null, $"sent {batch.Count} objects, the response lists {results.Count}");
        }
    }

    private static string BuildWhere(IReadOnlyList<MemoryFilter>? filters)
    {
        const string Partitions = "{path: [\"partitionNumber\"], operator: GreaterThanEqual, valueInt: 0}";
        if (filters is null || filters.Count == 0 || filters.Any(f => f.IsEmpty))
        {
            return Partitions;
        }

        var ors = new List<string>();
        foreach (MemoryFilter f in filters)
        {
            var ands = new List<string>();
            var required = f.Required.SelectMany(kv => kv.Value.Select(v => $"{kv.Key}={v}")).ToList();
            if (required.Count > 0)
            {
                ands.Add($"{{path: [\"tags\"], operator: ContainsAll, valueText: [{string.Join(", ", required.Select(GraphQLString))}]}}");
            }

            var excluded = f.Excluded.SelectMany(kv => kv.Value.Select(v => $"{kv.Key}={v}")).ToList();
            if (excluded.Count > 0)
            {
                ands.Add($"{{operator: Not, operands: [{{path: [\"tags\"], operator: ContainsAny, valueText: [{string.Join(", ", excluded.Select(GraphQLString))}]}}]}}");
            }

            ors.Add(ands.Count == 1 ? ands[0] : $"{{operator: And, operands: [{string.Join(", ", ands)}]}}");
        }

        string or = ors.Count == 1 ? ors[0] : $"{{operator: Or, operands: [{string.Join(", ", ors)}]}}";
        return $"{{operator: And, operands: [{Partitions}, {or}]}}";
    }

    private static MemoryDocument ReadDocument(string index, JsonObject props)
    {
        var tags = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (props["tags"] is JsonArray arr)
        {
            foreach (JsonNode? t in arr)
            {
                string? pair = ReadString(t);
                int eq = pair?.IndexOf('=', StringComparison.Ordinal) ?? -1;
                if (pair is null || eq <= 0 || ReservedTags.IsReserved(pair[..eq]))
                {
                    continue;
                }

                string key = pair[..eq];
                if (!tags.TryGetValue(key, out IReadOnlyList<string>? list))
                {
                    tags[key] = list = new List<string>();
                }

                ((List<string>)list).Add(pair[(eq + 1)..]);
            }
        }

        string? updated = ReadString(props["updatedAt"]);
        DateTimeOffset updatedAt = updated is not null && DateTimeOffset.TryParse(updated, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var u) ? u : default;
        return new MemoryDocument(
            ReadString(props["index"]) ?? index,
            ReadString(props["documentId"]) ?? string.Empty,
            ReadString(props["sourceName"]) ?? string.Empty,
            NullIfEmpty(ReadString(props["sourceUrl"])),
            ReadString(props["mediaType"]) ?? string.Empty,
            ReadString(props["contentHash"]) ?? string.Empty,
            tags,
            updatedAt,
            (int)(ReadDouble(props["partitionCount"]) ?? 0));
    }

    private static JsonObject BuildClassSchema(string cls, string index)
    {
        static JsonObject Prop(string name, string type, string? tokenization = "field", bool searchable = false) => new()
        {
            ["name"] = name,
            ["dataType"] = new JsonArray(type),
            ["indexFilterable"] = true,
            ["indexSearchable"] = searchable,
            ["tokenization"] = tokenization,
        };

        static JsonObject NumberProp(string name, string type) => new()
        {
            ["name"] = name,
            ["dataType"] = new JsonArray(type),
            ["indexFilterable"] = true,
        };

        return new JsonObject
        {
            ["class"] = cls,
            ["description"] = $"SkAgents memory index '{index}'",
            ["vectorizer"] = "none",
            ["vectorIndexType"] = "hnsw",
            ["vectorIndexConfig"] = new JsonObject { ["distance"] = "cosine" },
            ["properties"] = new JsonArray(
                Prop("documentId", "text"),
                Prop("index", "text"),
                Prop("sourceName", "text"),
                Prop("sourceUrl", "text"),
                Prop("mediaType", "text"),
                Prop("contentHash", "text"),
                NumberProp("partitionNumber", "int"),
                NumberProp("partitionCount", "int"),
                Prop("text", "text", "word", searchable: true),
                Prop("sectionPath", "text"),
                Prop("tags", "text[]"),
                NumberProp("updatedAt", "date")),
        };
    }

    private async Task EnsureClassAsync(string index, string cls, CancellationToken ct)
    {
        if (_knownClasses.ContainsKey(cls))
        {
            return;
        }

        await _schemaLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (await ClassExistsAsync(cls, ct).ConfigureAwait(false))
            {
                return;
            }

            var (status, json) = await SendAsync($"create collection {cls}", HttpMethod.Post, "v1/schema", BuildClassSchema(cls, index), ct, HttpStatusCode.UnprocessableEntity).ConfigureAwait(false);
            if (status == HttpStatusCode.UnprocessableEntity)
            {
                // Another writer may have created it in between; anything else (an invalid name) is an error.
                _knownClasses.TryRemove(cls, out _);
                if (!await ClassExistsAsync(cls, ct).ConfigureAwait(false))
                {
                    throw new WeaviateException($"create collection {cls}", status, ErrorMessages(json?["error"]) ?? json?.ToJsonString());
                }
            }

            _knownClasses[cls] = true;
        }
        finally
        {
            _schemaLock.Release();
        }
    }

    private async Task<bool> ClassExistsAsync(string cls, CancellationToken ct)
    {
        if (_knownClasses.ContainsKey(cls))
        {
            return true;
        }

        var (status, _) = await SendAsync($"get collection {cls}", HttpMethod.Get, $"v1/schema/{cls}", null, ct, HttpStatusCode.NotFound).ConfigureAwait(false);
        if (status == HttpStatusCode.NotFound)
        {
            return false;
        }

        _knownClasses[cls] = true;
        return true;
    }

    private async Task<long> DeleteByDocumentAsync(string cls, string documentId, string operation, CancellationToken ct)
    {
        long total = 0;
        for (int round = 0; round < 1000; round++)
        {
            var body = new JsonObject
            {
                ["match"] = new JsonObject
                {
                    ["class"] = cls,
                    ["where"] = new JsonObject { ["path"] = new JsonArray("documentId"), ["operator"] = "Equal", ["valueText"] = documentId },
                },
                ["output"] = "minimal",
                ["dryRun"] = false,
            };
            var (_, json) = await SendAsync(operation + " (batch delete)", HttpMethod.Delete, "v1/batch/objects", body, ct).ConfigureAwait(false);
            JsonNode? results = json?["results"];
            long matches = (long)(ReadDouble(results?["matches"]) ?? 0);
            long successful = (long)(ReadDouble(results?["successful"]) ?? 0);
            long failed = (long)(ReadDouble(results?["failed"]) ?? 0);
            long limit = (long)(ReadDouble(results?["limit"]) ?? 10_000);
            if (failed > 0)
            {
                throw new WeaviateException(operation + " (batch delete)", null, $"{failed} of {matches} objects could not be deleted");
            }

            total += successful;
            if (matches < limit || successful == 0)
            {
                return total;
            }
        }

        return total;
    }

    private async Task<JsonArray> GetAsync(string operation, string cls, string query, CancellationToken ct)
    {
        var (_, json) = await SendAsync(operation, HttpMethod.Post, "v1/graphql", new JsonObject { ["query"] = query }, ct).ConfigureAwait(false);
        if (ErrorMessages(json?["errors"]) is { } errors)
        {
            throw new WeaviateException(operation, null, errors);
        }

        return json?["data"]?["Get"]?[cls] as JsonArray ?? [];
    }

    private async Task<(HttpStatusCode Status, JsonNode? Json)> SendAsync(
        string operation, HttpMethod method, string path, JsonNode? body, CancellationToken ct, params HttpStatusCode[] allowed)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (_options.Timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            timeout.CancelAfter(_options.Timeout);
        }

        using var request = new HttpRequestMessage(method, new Uri(_root, path));
        if (!string.IsNullOrEmpty(_options.ApiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        string text;
        HttpStatusCode status;
        try
        {
            using HttpResponseMessage response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            status = response.StatusCode;
            text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new WeaviateException(operation, null, $"timed out after {_options.Timeout} at {_root}", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new WeaviateException(operation, null, $"cannot reach {_root}: {ex.Message}", ex);
        }

        JsonNode? json = null;
        if (!string.IsNullOrWhiteSpace(text))
        {
            try
            {
                json = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                json = null;
            }
        }

        if (status == HttpStatusCode.Unauthorized)
        {
            throw new WeaviateAuthenticationException(operation, (ServerMessage(json, text) ?? "unauthorized") + (string.IsNullOrEmpty(_options.ApiKey) ? $"; {ApiKeySetting} is not set" : $"; {ApiKeySetting} was rejected"));
        }

        if ((int)status >= 400 && !allowed.Contains(status))
        {
            throw new WeaviateException(operation, status, ServerMessage(json, text));
        }

        return (status, json);
    }

    private static string? ServerMessage(JsonNode? json, string text) =>
        ErrorMessages(json?["error"]) ?? ReadString(json?["message"]) ?? ErrorMessages(json?["errors"])
        ?? (text.Length > 500 ? text[..500] : NullIfEmpty(text));

    private static string? ErrorMessages(JsonNode? node)
    {
        if (node is JsonObject o && o["error"] is { } inner)
        {
            node = inner;
        }

        if (node is JsonArray arr && arr.Count > 0)
        {
            return string.Join("; ", arr.Select(e => e is JsonObject eo ? ReadString(eo["message"]) ?? eo.ToJsonString() : ReadString(e)));
        }

        return node is JsonValue v && v.TryGetValue(out string? s) ? s : null;
    }

    private static string? ReadString(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static double? ReadDouble(JsonNode? node)
    {
        if (node is not JsonValue v)
        {
            return null;
        }

        if (v.TryGetValue(out double d))
        {
            return d;
        }

        if (v.TryGetValue(out string? s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d))
        {
            return d;
        }

        return v.GetValueKind() == JsonValueKind.Number ? double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture) : null;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static string GraphQLString(string s) => JsonSerializer.Serialize(s);

    private static string Number(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    private static string Vector(ReadOnlyMemory<float> v)
    {
        var sb = new StringBuilder("[");
        ReadOnlySpan<float> span = v.Span;
        for (int i = 0; i < span.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(span[i].ToString("R", CultureInfo.InvariantCulture));
        }

        return sb.Append(']').ToString();
    }
}
