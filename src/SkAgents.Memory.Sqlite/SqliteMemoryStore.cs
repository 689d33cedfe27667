using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SkAgents.Memory.Storage;

namespace SkAgents.Memory.Sqlite;

/// <summary>
/// The embedded memory store: one SQLite file (WAL) holding documents, partitions, tags, float32 vectors and an FTS5
/// index. Keyword search uses FTS5 BM25; vector search is exact cosine over an in-memory matrix per index, loaded lazily
/// and swapped after writes; hybrid search fuses both by reciprocal rank (k = 60). Thread-safe; writes are serialized.
/// </summary>
public sealed class SqliteMemoryStore : IMemoryStore
{
    private const int SchemaVersion = 2;
    private const int RrfK = 60;

    private static readonly string[] Schema =
    [
        """
        CREATE TABLE IF NOT EXISTS documents (
            idx TEXT NOT NULL,
            doc_id TEXT NOT NULL,
            source_name TEXT NOT NULL,
            source_url TEXT,
            media_type TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            tags_json TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            partition_count INTEGER NOT NULL,
            PRIMARY KEY (idx, doc_id))
        """,
        """
        CREATE TABLE IF NOT EXISTS partitions (
            id INTEGER PRIMARY KEY,
            idx TEXT NOT NULL,
            doc_id TEXT NOT NULL,
            number INTEGER NOT NULL,
            text TEXT NOT NULL,
            section_path TEXT,
            vector BLOB,
            UNIQUE (idx, doc_id, number),
            FOREIGN KEY (idx, doc_id) REFERENCES documents (idx, doc_id) ON DELETE CASCADE)
        """,
        """
        CREATE TABLE IF NOT EXISTS tags (
            idx TEXT NOT NULL,
            doc_id TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (idx, doc_id, key, value),
            FOREIGN KEY (idx, doc_id) REFERENCES documents (idx, doc_id) ON DELETE CASCADE)
        """,
        "CREATE INDEX IF NOT EXISTS tags_by_value ON tags (idx, key, value, doc_id)",
        "CREATE TABLE IF NOT EXISTS index_meta (idx TEXT PRIMARY KEY, dimensions INTEGER NOT NULL)",
        // Bumped by every write transaction (schema 2), so a store sees writes made through other connections and processes
        // and drops its caches (vector matrices, word statistics).
        "CREATE TABLE IF NOT EXISTS store_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
        "INSERT OR IGNORE INTO store_version (id, version) VALUES (1, 0)",
        """
        CREATE VIRTUAL TABLE IF NOT EXISTS partitions_fts USING fts5(
            text, content='partitions', content_rowid='id', tokenize='unicode61 remove_diacritics 2')
        """,
        // Document frequencies of every indexed term, to leave out near-universal words from keyword queries.
        "CREATE VIRTUAL TABLE IF NOT EXISTS partitions_vocab USING fts5vocab(partitions_fts, 'row')",
        """
        CREATE TRIGGER IF NOT EXISTS partitions_ai AFTER INSERT ON partitions BEGIN
            INSERT INTO partitions_fts (rowid, text) VALUES (new.id, new.text);
        END
        """,
        """
        CREATE TRIGGER IF NOT EXISTS partitions_ad AFTER DELETE ON partitions BEGIN
            INSERT INTO partitions_fts (partitions_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END
        """,
    ];

    private readonly SqliteMemoryStoreOptions _options;
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private readonly Lock _cacheLock = new();
    private readonly Dictionary<string, VectorSnapshot> _vectors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _generations = new(StringComparer.Ordinal);
    private volatile bool _initialized;
    private volatile bool _disposed;
    private long _writes;
    private long _knownVersion;
    private LengthStatistics? _lengthStatistics;
    private TermStatistics? _termStatistics;

    /// <summary>Initializes a new instance of the <see cref="SqliteMemoryStore"/> class; the file is opened on first use.</summary>
    /// <param name="options">The options; null uses the defaults.</param>
    public SqliteMemoryStore(SqliteMemoryStoreOptions? options = null)
    {
        _options = options ?? new SqliteMemoryStoreOptions();
        ArgumentException.ThrowIfNullOrWhiteSpace(_options.DatabasePath, nameof(options));
        DatabasePath = Path.GetFullPath(_options.DatabasePath);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = Math.Max(1, (int)_options.BusyTimeout.TotalSeconds),
        }.ToString();
    }

    /// <summary>Gets the full path of the database file.</summary>
    public string DatabasePath { get; }

    /// <summary>Opens (creating when missing) a store and checks the file now.</summary>
    /// <param name="options">The options.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The store.</returns>
    /// <exception cref="InvalidDataException">The file is not a SQLite database or is corrupt.</exception>
    public static async Task<SqliteMemoryStore> OpenAsync(SqliteMemoryStoreOptions? options = null, CancellationToken cancellationToken = default)
    {
        var store = new SqliteMemoryStore(options);
        try
        {
            await store.EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<MemoryDocument?> GetDocumentAsync(string index, string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(documentId);
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {DocumentColumns} FROM documents d WHERE d.idx = $idx AND d.doc_id = $doc";
            command.Parameters.AddWithValue("$idx", index);
            command.Parameters.AddWithValue("$doc", documentId);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadDocument(reader, index, 0) : null;
            }
        }
    }

    /// <inheritdoc />
    public async Task SaveDocumentAsync(MemoryDocument document, IReadOnlyList<MemoryPartition> partitions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(partitions);
        ArgumentNullException.ThrowIfNull(document.Index);
        ArgumentNullException.ThrowIfNull(document.DocumentId);
        int? dimensions = null;
        var numbers = new HashSet<int>();
        foreach (var partition in partitions)
        {
            ArgumentNullException.ThrowIfNull(partition, nameof(partitions));
            if (!numbers.Add(partition.PartitionNumber))
            {
                throw new ArgumentException($"Partition number {partition.PartitionNumber} appears twice in document '{document.DocumentId}'.", nameof(partitions));
            }

            // An empty embedding counts as none (a null float[] converts to an empty ReadOnlyMemory).
            if (partition.Embedding is { Length: > 0 } embedding)
            {
                if (dimensions is { } d && d != embedding.Length)
                {
                    throw new ArgumentException(
                        $"Embeddings in document '{document.DocumentId}' have different sizes: {d} and {embedding.Length} dimensions.", nameof(partitions));
                }

                dimensions = embedding.Length;
            }
        }

        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var added = new List<(long Id, float[] Vector)>();
            int? indexDimensions;
            long version;
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    indexDimensions = await GetDimensionsAsync(connection, transaction, document.Index, cancellationToken).ConfigureAwait(false);
                    if (dimensions is { } dims)
                    {
                        if (indexDimensions is { } existing && existing != dims)
                        {
                            throw new ArgumentException(
                                $"Embedding size mismatch in index '{document.Index}': document '{document.DocumentId}' has {dims} dimensions but the index uses {existing}.",
                                nameof(partitions));
                        }

                        if (indexDimensions is null)
                        {
                            await ExecuteAsync(connection, transaction, "INSERT INTO index_meta (idx, dimensions) VALUES ($idx, $dims)", cancellationToken,
                                ("$idx", document.Index), ("$dims", dims)).ConfigureAwait(false);
                            indexDimensions = dims;
                        }
                    }

                    await DeleteDocumentRowsAsync(connection, transaction, document.Index, document.DocumentId, cancellationToken).ConfigureAwait(false);
                    await ExecuteAsync(
                        connection,
                        transaction,
                        """
                        INSERT INTO documents (idx, doc_id, source_name, source_url, media_type, content_hash, tags_json, updated_at, partition_count)
                        VALUES ($idx, $doc, $source, $url, $media, $hash, $tags, $updated, $count)
                        """,
                        cancellationToken,
                        ("$idx", document.Index),
                        ("$doc", document.DocumentId),
                        ("$source", document.SourceName ?? string.Empty),
                        ("$url", document.SourceUrl),
                        ("$media", document.MediaType ?? string.Empty),
                        ("$hash", document.ContentHash ?? string.Empty),
                        ("$tags", SerializeTags(document.Tags)),
                        ("$updated", document.UpdatedAt.ToString("O", CultureInfo.InvariantCulture)),
                        ("$count", partitions.Count)).ConfigureAwait(false);

                    using (var tag = connection.CreateCommand())
                    {
                        tag.Transaction = transaction;
                        tag.CommandText = "INSERT OR IGNORE INTO tags (idx, doc_id, key, value) VALUES ($idx, $doc, $key, $value)";
                        tag.Parameters.AddWithValue("$idx", document.Index);
                        tag.Parameters.AddWithValue("$doc", document.DocumentId);
                        var key = tag.Parameters.Add("$key", SqliteType.Text);
                        var value = tag.Parameters.Add("$value", SqliteType.Text);
                        foreach (var (k, v) in FilterTags(document))
                        {
                            key.Value = k;
                            value.Value = v;
                            await tag.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                        }
                    }

                    using (var insert = connection.CreateCommand())
                    {
                        insert.Transaction = transaction;
                        insert.CommandText =
                            """
                            INSERT INTO partitions (idx, doc_id, number, text, section_path, vector) VALUES ($idx, $doc, $number, $text, $section, $vector);
                            SELECT last_insert_rowid();
                            """;
                        insert.Parameters.AddWithValue("$idx", document.Index);
                        insert.Parameters.AddWithValue("$doc", document.DocumentId);
                        var number = insert.Parameters.Add("$number", SqliteType.Integer);
                        var text = insert.Parameters.Add("$text", SqliteType.Text);
                        var section = insert.Parameters.Add("$section", SqliteType.Text);
                        var vector = insert.Parameters.Add("$vector", SqliteType.Blob);
                        foreach (var partition in partitions)
                        {
                            number.Value = partition.PartitionNumber;
                            text.Value = partition.Text ?? string.Empty;
                            section.Value = (object?)partition.SectionPath ?? DBNull.Value;
                            float[]? floats = partition.Embedding is { Length: > 0 } e ? e.ToArray() : null;
                            vector.Value = floats is null ? DBNull.Value : MemoryMarshal.AsBytes(floats.AsSpan()).ToArray();
                            var id = (long)(await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                            if (floats is not null)
                            {
                                added.Add((id, floats));
                            }
                        }
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                    version = await BumpVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }

            UpdateSnapshot(document.Index, version, snapshot => snapshot.Replace(document.DocumentId, added));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<bool> DeleteDocumentAsync(string index, string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(documentId);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            bool existed;
            long version;
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    existed = await DeleteDocumentRowsAsync(connection, transaction, index, documentId, cancellationToken).ConfigureAwait(false);
                    version = await BumpVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }

            UpdateSnapshot(index, version, snapshot => snapshot.Replace(documentId, []));
            return existed;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<MemoryDocument> ListDocumentsAsync(string index, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(index);
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {DocumentColumns} FROM documents d WHERE d.idx = $idx ORDER BY d.doc_id";
            command.Parameters.AddWithValue("$idx", index);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return ReadDocument(reader, index, 0);
                }
            }
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ListIndexesAsync(CancellationToken cancellationToken = default)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT DISTINCT idx FROM documents ORDER BY idx";
            var result = new List<string>();
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    result.Add(reader.GetString(0));
                }
            }

            return result;
        }
    }

    /// <inheritdoc />
    public async Task DeleteIndexAsync(string index, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(index);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            long version;
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    foreach (var sql in new[]
                             {
                                 "DELETE FROM partitions WHERE idx = $idx",
                                 "DELETE FROM tags WHERE idx = $idx",
                                 "DELETE FROM documents WHERE idx = $idx",
                                 "DELETE FROM index_meta WHERE idx = $idx",
                             })
                    {
                        await ExecuteAsync(connection, transaction, sql, cancellationToken, ("$idx", index)).ConfigureAwait(false);
                    }

                    version = await BumpVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }

            lock (_cacheLock)
            {
                _generations[index] = _generations.GetValueOrDefault(index) + 1;
                Interlocked.Increment(ref _writes);
                _vectors.Remove(index);
                _knownVersion = Math.Max(_knownVersion, version);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ScoredPartition>> SearchAsync(string index, MemoryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(query);
        if (query.Mode is SearchMode.Vector or SearchMode.Hybrid && query.Vector is not { Length: > 0 })
        {
            throw new ArgumentException($"{query.Mode} search needs a query vector.", nameof(query));
        }

        if (query.Limit <= 0)
        {
            return [];
        }

        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        await RefreshCachesAsync(cancellationToken).ConfigureAwait(false);
        var filters = query.Filters?.Where(f => f is not null).ToList();
        var hasFilters = filters is { Count: > 0 } && !filters.Any(f => f.IsEmpty);
        var candidates = query.Mode == SearchMode.Hybrid ? Math.Max(_options.HybridCandidates, query.Limit * 4) : query.Limit;

        // The exact vector scan is CPU- and memory-bound while keyword ranking waits on SQLite: in hybrid mode they run side by side.
        Task<List<(long Id, double Score)>>? vectorSearch = null;
        if (query.Mode == SearchMode.Vector)
        {
            vectorSearch = VectorSearchAsync(index, query.Vector!.Value, hasFilters ? filters : null, candidates, cancellationToken);
        }
        else if (query.Mode == SearchMode.Hybrid)
        {
            var vector = query.Vector!.Value;
            vectorSearch = Task.Run(() => VectorSearchAsync(index, vector, hasFilters ? filters : null, candidates, cancellationToken), cancellationToken);
        }

        try
        {
            return await SearchRankedAsync(index, query, filters, hasFilters, candidates, vectorSearch, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (vectorSearch is not null && !vectorSearch.IsCompleted)
            {
                // Never leave the scan running against a store that may be disposed next; its own failure was already observed or is moot.
                await vectorSearch.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
    }

    private async Task<IReadOnlyList<ScoredPartition>> SearchRankedAsync(
        string index, MemoryQuery query, List<MemoryFilter>? filters, bool hasFilters, int candidates, Task<List<(long Id, double Score)>>? vectorSearch,
        CancellationToken cancellationToken)
    {

        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // One read transaction: keyword ranking and hydration see the same committed version.
            var transaction = connection.BeginTransaction(deferred: true);
            await using (transaction.ConfigureAwait(false))
            {
                List<(long Id, double Score)>? keywordHits = null;
                if (query.Mode != SearchMode.Vector)
                {
                    keywordHits = await KeywordSearchAsync(connection, transaction, index, query.Text, hasFilters ? filters : null, candidates, cancellationToken)
                        .ConfigureAwait(false);
                }

                var vectorHits = vectorSearch is null ? null : await vectorSearch.ConfigureAwait(false);
                if (query.Mode == SearchMode.Keyword)
                {
                    return await KeywordResultsAsync(connection, transaction, index, query, keywordHits!, cancellationToken).ConfigureAwait(false);
                }

                List<(long Id, double Relevance)> ranked = query.Mode switch
                {
                    SearchMode.Vector => vectorHits!.Select(h => (h.Id, Math.Max(0, h.Score))).ToList(),
                    _ => Fuse(keywordHits!, vectorHits!),
                };

                // Only the rows that can be returned are read back (hybrid mode fuses many more candidates).
                ranked = ranked.Where(r => r.Relevance >= query.MinRelevance).Take(query.Limit).ToList();
                var rows = await HydrateAsync(connection, transaction, index, ranked.Select(r => r.Id), cancellationToken).ConfigureAwait(false);
                var result = new List<ScoredPartition>(Math.Min(query.Limit, ranked.Count));
                foreach (var (id, relevance) in ranked)
                {
                    if (result.Count >= query.Limit)
                    {
                        break;
                    }

                    if (rows.TryGetValue(id, out var row))
                    {
                        result.Add(new ScoredPartition(row.Document, row.Partition, relevance));
                    }
                }

                return result;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            lock (_cacheLock)
            {
                _vectors.Clear();
            }

            using var connection = new SqliteConnection(_connectionString);
            SqliteConnection.ClearPool(connection);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Keyword results with a relevance that means the same in small and large collections: FTS5 ranks, then each hit's
    /// relevance is its BM25 with the always-positive IDF <c>ln(1 + (N − n + 0.5) / (n + 0.5))</c> (as Lucene and Weaviate use),
    /// mapped to 0–1 by <c>s / (s + 1)</c>. FTS5's own IDF is clamped to 10⁻⁶ for words in more than half the partitions, which
    /// in a small memory made ordinary matches score about 10⁻⁶ and fall under any relevance threshold.
    /// </summary>
    private async Task<IReadOnlyList<ScoredPartition>> KeywordResultsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string index, MemoryQuery query, List<(long Id, double Score)> hits, CancellationToken cancellationToken)
    {
        if (hits.Count == 0)
        {
            return [];
        }

        var rows = await HydrateAsync(connection, transaction, index, hits.Select(h => h.Id), cancellationToken).ConfigureAwait(false);
        var terms = ExtractTerms(query.Text).Select(NormalizeTerm).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var (documents, frequencies, averageLength) = await KeywordStatisticsAsync(connection, transaction, terms, cancellationToken).ConfigureAwait(false);
        var result = new List<ScoredPartition>(hits.Count);
        foreach (var (id, _) in hits)
        {
            if (!rows.TryGetValue(id, out var row))
            {
                continue;
            }

            var score = Bm25(row.Partition.Text, frequencies, documents, averageLength);
            var relevance = score / (score + 1);
            if (relevance >= query.MinRelevance)
            {
                result.Add(new ScoredPartition(row.Document, row.Partition, relevance));
            }
        }

        // The FTS5 order and this one agree except where FTS5's clamped IDF tied them; sort so relevance never increases down the list.
        return [.. result.OrderByDescending(r => r.Relevance).Take(query.Limit)];
    }

    private static double Bm25(string text, Dictionary<string, long> frequencies, long documents, double averageLength)
    {
        const double K1 = 1.2, B = 0.75;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var length = 0;
        foreach (var token in ExtractTerms(text))
        {
            length++;
            var term = NormalizeTerm(token);
            if (frequencies.ContainsKey(term))
            {
                counts[term] = counts.GetValueOrDefault(term) + 1;
            }
        }

        var score = 0.0;
        foreach (var (term, tf) in counts)
        {
            var n = Math.Min(frequencies[term], documents);
            var idf = Math.Log(1 + ((documents - n + 0.5) / (n + 0.5)));
            score += idf * tf * (K1 + 1) / (tf + (K1 * (1 - B + (B * length / Math.Max(1, averageLength)))));
        }

        return score;
    }

    /// <summary>Partitions, the query terms' document frequencies, and the average partition length in tokens (cached between writes).</summary>
    private async Task<(long Documents, Dictionary<string, long> Frequencies, double AverageLength)> KeywordStatisticsAsync(
        SqliteConnection connection, SqliteTransaction transaction, List<string> terms, CancellationToken cancellationToken)
    {
        var (frequencies, _) = await DocumentFrequenciesAsync(connection, transaction, terms, cancellationToken).ConfigureAwait(false);
        var writes = Interlocked.Read(ref _writes);
        var cached = _lengthStatistics;
        if (cached is null || cached.Writes != writes)
        {
            // Summing the vocabulary's token counts reads one row per distinct word: cheap next to a search, and cached until a write.
            using var totals = connection.CreateCommand();
            totals.Transaction = transaction;
            totals.CommandText = "SELECT (SELECT count(*) FROM partitions), (SELECT COALESCE(sum(cnt), 0) FROM partitions_vocab)";
            var totalsReader = await totals.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (totalsReader.ConfigureAwait(false))
            {
                await totalsReader.ReadAsync(cancellationToken).ConfigureAwait(false);
                cached = new LengthStatistics(writes, totalsReader.GetInt64(0), totalsReader.GetInt64(1));
            }

            _lengthStatistics = cached;
        }

        return (Math.Max(1, cached.Partitions), frequencies, cached.Partitions == 0 ? 1 : (double)cached.Tokens / cached.Partitions);
    }

    private sealed record LengthStatistics(long Writes, long Partitions, long Tokens);

    /// <summary>Document frequencies of terms, cached until this store's next write (counts read from fts5vocab).</summary>
    private sealed class TermStatistics(long writes, long partitions)
    {
        public long Writes { get; } = writes;

        public long Partitions { get; } = partitions;

        public ConcurrentDictionary<string, long> Frequencies { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>
    /// Returns how many partitions hold each term, and how many partitions there are. fts5vocab counts a term's partitions
    /// by reading its whole posting list, which for common words costs as much as a search, so counts are cached until the
    /// next write through this store (writes by another process show up after this store's next write).
    /// </summary>
    private async Task<(Dictionary<string, long> Frequencies, long Partitions)> DocumentFrequenciesAsync(
        SqliteConnection connection, SqliteTransaction transaction, IReadOnlyCollection<string> terms, CancellationToken cancellationToken)
    {
        var writes = Interlocked.Read(ref _writes);
        var statistics = _termStatistics;
        if (statistics is null || statistics.Writes != writes || statistics.Frequencies.Count > 100_000)
        {
            using var count = connection.CreateCommand();
            count.Transaction = transaction;
            count.CommandText = "SELECT count(*) FROM partitions";
            var partitions = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            _termStatistics = statistics = new TermStatistics(writes, partitions);
        }

        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var term in terms)
        {
            if (statistics.Frequencies.TryGetValue(term, out var known))
            {
                result[term] = known;
            }
            else
            {
                missing.Add(term);
            }
        }

        if (missing.Count > 0)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "SELECT j.value, COALESCE(v.doc, 0) FROM json_each($terms) j LEFT JOIN partitions_vocab v ON v.term = j.value";
            command.Parameters.AddWithValue("$terms", JsonSerializer.Serialize(missing));
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var term = reader.GetString(0);
                    var documents = reader.GetInt64(1);
                    result[term] = documents;
                    statistics.Frequencies[term] = documents;
                }
            }
        }

        return (result, statistics.Partitions);
    }

    /// <summary>Escapes free text into a safe FTS5 query: every word (run of letters, digits and marks) is quoted, and the words are ORed.</summary>
    /// <param name="text">The user's text.</param>
    /// <returns>The FTS5 query, or null when the text has no searchable token.</returns>
    internal static string? ToFtsQuery(string? text) => ToFtsQuery(ExtractTerms(text));

    /// <summary>Builds an FTS5 query that ORs the given terms, each quoted.</summary>
    internal static string? ToFtsQuery(IReadOnlyCollection<string> terms) =>
        // Terms hold letters, digits and marks only (no quotes or operators), so quoting each one is safe; bm25 ranks the OR.
        terms.Count == 0 ? null : string.Join(" OR ", terms.Select(t => "\"" + t + "\"").Distinct(StringComparer.Ordinal));

    /// <summary>Splits user text into search terms (letters, digits and marks), dropping everything FTS5 could parse as syntax.</summary>
    internal static List<string> ExtractTerms(string? text)
    {
        var terms = new List<string>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return terms;
        }

        var current = new StringBuilder();
        foreach (var c in text)
        {
            if (IsTokenChar(c))
            {
                current.Append(c);
            }
            else if (current.Length > 0)
            {
                terms.Add(current.ToString());
                current.Clear();
            }
        }

        if (current.Length > 0)
        {
            terms.Add(current.ToString());
        }

        return terms;
    }

    /// <summary>
    /// Plans a keyword query: normalizes the terms, reads their document frequencies, leaves out terms found in more than
    /// <see cref="CommonTermShare"/> of all partitions ("the", "and": they barely change BM25's order but make it score
    /// nearly every partition; when every term is that common, all are kept) and orders the rest rarest first.
    /// </summary>
    private async Task<KeywordPlan> PlanKeywordQueryAsync(SqliteConnection connection, SqliteTransaction transaction, List<string> terms, CancellationToken cancellationToken)
    {
        var normalized = terms.Select(NormalizeTerm).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (normalized.Count == 0)
        {
            return new KeywordPlan([], 0);
        }

        var (counts, total) = await DocumentFrequenciesAsync(connection, transaction, normalized, cancellationToken).ConfigureAwait(false);
        var frequencies = normalized.Select(t => (Term: t, Documents: counts.GetValueOrDefault(t))).ToList();

        // Terms found nowhere cannot match; they only cost a lookup.
        frequencies.RemoveAll(f => f.Documents == 0);
        frequencies.Sort((a, b) => a.Documents != b.Documents ? a.Documents.CompareTo(b.Documents) : string.CompareOrdinal(a.Term, b.Term));

        // Small collections are cheap to score in full, and there every word looks "common".
        if (total >= CommonTermMinimumPartitions && frequencies.Count > 0)
        {
            var kept = frequencies.Where(f => f.Documents <= total * CommonTermShare).ToList();
            if (kept.Count == 0)
            {
                // Only common words. FTS5's bm25 gives words in half the partitions or more an IDF of 10⁻⁶ (no say in the
                // order) yet reads their whole posting lists to find that out; rank by the others, or not at all.
                kept = frequencies.Where(f => f.Documents * 2 < total).ToList();
                if (kept.Count == 0)
                {
                    return new KeywordPlan(frequencies, total) { Unranked = true };
                }
            }

            frequencies = kept;
        }

        return new KeywordPlan(frequencies, total);
    }

    /// <summary>
    /// Keyword ranking for queries whose terms together match more partitions than <see cref="KeywordMatchBudget"/>: BM25
    /// scores only the partitions that hold the rarest terms. A stage requires the shortest run of the rarest remaining
    /// terms whose estimated co-occurrence (independence assumption) fits the budget, widening the run when that yields
    /// fewer than <paramref name="limit"/> hits; once a single term's partitions are all scored, the next stage goes on
    /// with the remaining terms among partitions without it. Every stage's query names each term exactly once (required,
    /// optional, or excluded under NOT), so each hit's score is the exact BM25 of the whole OR query; what is approximate is
    /// only which partitions get scored. When every stage runs to the end, every matching partition has been scored.
    /// When even all the terms together match more than the budget (a query of very common words only), a window of the
    /// newest partitions sized to the budget is scored, widened fourfold until enough hits come back.
    /// </summary>
    private static async Task<List<(long Id, double Score)>> BoundedKeywordSearchAsync(
        SqliteConnection connection, SqliteTransaction transaction, string index, KeywordPlan plan, List<MemoryFilter>? filters, int limit,
        CancellationToken cancellationToken)
    {
        var hits = new List<(long Id, double Score)>();
        var excluded = new List<string>();
        var span = await RowidSpanAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        var remaining = plan.Terms.Select(t => t.Term).ToList();
        var frequencies = plan.Terms.Select(t => t.Documents).ToList();
        while (remaining.Count > 0)
        {
            var run = 1;
            while (Estimate(frequencies, run, plan.Total) > KeywordMatchBudget && run < remaining.Count)
            {
                run++;
            }

            List<(long Id, double Score)> stage;
            while (true)
            {
                // When even the longest run of required terms matches more than the budget (queries of very common words
                // only), score a window of the newest partitions sized to the budget, widening it until enough hits come back.
                var fraction = Math.Min(1.0, KeywordMatchBudget / Math.Max(1.0, Estimate(frequencies, run, plan.Total)));
                while (true)
                {
                    var from = fraction >= 1 ? long.MinValue : span.Max - (long)((span.Max - span.Min + 1) * fraction);
                    stage = await RankStageAsync(
                        connection, transaction, index, remaining.Take(run).ToList(), remaining.Skip(run).ToList(), excluded, from, filters, limit, cancellationToken)
                        .ConfigureAwait(false);
                    if (hits.Count + stage.Count >= limit || fraction >= 1)
                    {
                        break;
                    }

                    fraction = Math.Min(1.0, fraction * 4);
                }

                if (hits.Count + stage.Count >= limit || run == 1)
                {
                    break;
                }

                run--;
            }

            hits.AddRange(stage);
            if (run > 1 || hits.Count >= limit)
            {
                break;
            }

            // Every partition with the rarest term is scored; the others may still match partitions without it.
            excluded.Add(remaining[0]);
            remaining.RemoveAt(0);
            frequencies.RemoveAt(0);
        }

        hits.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Id.CompareTo(b.Id));
        return hits.Count > limit ? hits.GetRange(0, limit) : hits;
    }

    /// <summary>
    /// For queries made only of words found in half the partitions or more: the newest partitions holding all of them (or,
    /// when too few do, any of them), with equal scores; keyword mode then orders them by <see cref="Bm25"/>.
    /// </summary>
    private static async Task<List<(long Id, double Score)>> NewestMatchesAsync(
        SqliteConnection connection, SqliteTransaction transaction, string index, KeywordPlan plan, List<MemoryFilter>? filters, int limit,
        CancellationToken cancellationToken)
    {
        var hits = new List<(long Id, double Score)>();
        foreach (var op in new[] { " AND ", " OR " })
        {
            hits.Clear();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var filterSql = BuildFilterSql(command, "p", filters);
            command.CommandText =
                $"""
                 SELECT p.id FROM partitions_fts f JOIN partitions p ON p.id = f.rowid
                 WHERE partitions_fts MATCH $q AND p.idx = $idx AND ({filterSql})
                 ORDER BY f.rowid DESC
                 LIMIT $limit
                 """;
            command.Parameters.AddWithValue("$q", string.Join(op, plan.Terms.Select(t => "\"" + t.Term + "\"")));
            command.Parameters.AddWithValue("$idx", index);
            command.Parameters.AddWithValue("$limit", limit);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    hits.Add((reader.GetInt64(0), 0));
                }
            }

            if (hits.Count >= limit)
            {
                break;
            }
        }

        return hits;
    }

    /// <summary>Estimates how many partitions hold all of the first <paramref name="run"/> terms (independence assumption).</summary>
    private static double Estimate(List<long> frequencies, int run, long total)
    {
        double estimate = frequencies[0];
        for (var i = 1; i < run; i++)
        {
            estimate *= (double)frequencies[i] / Math.Max(1, total);
        }

        return estimate;
    }

    private static async Task<(long Min, long Max)> RowidSpanAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        // Two subqueries: SQLite answers a lone min() or max() of the rowid from the b-tree edge, but scans the table for both at once.
        command.CommandText = "SELECT COALESCE((SELECT min(id) FROM partitions), 0), COALESCE((SELECT max(id) FROM partitions), 0)";
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return (reader.GetInt64(0), reader.GetInt64(1));
        }
    }

    /// <summary>
    /// Ranks the matches of one or more FTS5 queries (from <paramref name="fromRowid"/> on) by bm25 inside FTS5, then checks
    /// the index and filters on the top rows only: joining every match would read each matching partition's row. The
    /// full-text table serves every index, so it fetches more than asked and widens until enough rows pass.
    /// </summary>
    private static async Task<List<(long Id, double Score)>> RankTopMatchesAsync(
        SqliteConnection connection, SqliteTransaction transaction, string index, string[] queries, long fromRowid, List<MemoryFilter>? filters, int limit,
        CancellationToken cancellationToken)
    {
        var fetch = Math.Max(limit * 4, 64);
        var hits = new List<(long Id, double Score)>();
        while (true)
        {
            hits.Clear();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var filterSql = BuildFilterSql(command, "p", filters);
            var ranked = string.Join(
                " UNION ALL ",
                queries.Select((_, i) =>
                    $"SELECT * FROM (SELECT rowid AS id, rank AS score FROM partitions_fts WHERE partitions_fts MATCH $q{i} AND rowid >= $from ORDER BY rank LIMIT $fetch)"));
            command.CommandText =
                $"""
                 WITH m AS ({ranked})
                 SELECT m.id, m.score, (p.id IS NOT NULL AND p.idx = $idx AND ({filterSql})) AS ok
                 FROM m LEFT JOIN partitions p ON p.id = m.id
                 ORDER BY m.score, m.id
                 """;
            for (var i = 0; i < queries.Length; i++)
            {
                command.Parameters.AddWithValue("$q" + i.ToString(CultureInfo.InvariantCulture), queries[i]);
            }

            command.Parameters.AddWithValue("$idx", index);
            command.Parameters.AddWithValue("$fetch", fetch);
            command.Parameters.AddWithValue("$from", fromRowid);
            var fetched = 0;
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    fetched++;
                    if (hits.Count < limit && reader.GetInt64(2) == 1)
                    {
                        // bm25() is negative, lower is better: flip it to a positive score.
                        hits.Add((reader.GetInt64(0), Math.Max(0, -reader.GetDouble(1))));
                    }
                }
            }

            // Fewer rows came back than allowed: nothing more to find.
            if (hits.Count >= limit || fetched < fetch)
            {
                return hits;
            }

            fetch = checked(fetch * 8);
        }
    }

    /// <summary>
    /// Scores, with FTS5's bm25, the partitions that hold every <paramref name="required"/> term and no
    /// <paramref name="excluded"/> one, in two queries (with and without any optional term) so that each term appears once.
    /// </summary>
    private static async Task<List<(long Id, double Score)>> RankStageAsync(
        SqliteConnection connection, SqliteTransaction transaction, string index, List<string> required, List<string> optional, List<string> excluded,
        long fromRowid, List<MemoryFilter>? filters, int limit, CancellationToken cancellationToken)
    {
        static string Quote(string term) => "\"" + term + "\"";
        static string Or(IEnumerable<string> terms) => "(" + string.Join(" OR ", terms.Select(Quote)) + ")";

        var all = "(" + string.Join(" AND ", required.Select(Quote)) + ")";
        var withOptional = optional.Count == 0 ? all : $"({all} AND {Or(optional)})";
        var withoutOptional = optional.Count == 0 ? null : $"({all} NOT {Or(optional)})";
        if (excluded.Count > 0)
        {
            withOptional = $"({withOptional} NOT {Or(excluded)})";
        }

        if (withoutOptional is not null && excluded.Count > 0)
        {
            // Excluded and optional terms are both absent here: one NOT group names each once.
            withoutOptional = $"({all} NOT {Or(optional.Concat(excluded))})";
        }

        return await RankTopMatchesAsync(
            connection, transaction, index, withoutOptional is null ? [withOptional] : [withOptional, withoutOptional], fromRowid, filters, limit, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>A planned keyword query: the terms to rank by, rarest first, with their document frequencies.</summary>
    private sealed record KeywordPlan(List<(string Term, long Documents)> Terms, long Total)
    {
        /// <summary>Gets whether every term is in half the partitions or more, so BM25 cannot order the matches.</summary>
        public bool Unranked { get; init; }

        /// <summary>Gets the FTS5 query that ORs every term (quoted: terms hold no syntax).</summary>
        public string? OrQuery => ToFtsQuery(Terms.Select(t => t.Term).ToList());

        /// <summary>Gets how many (partition, term) matches BM25 would score for the OR query, at most.</summary>
        public long MatchCount => Terms.Sum(t => t.Documents);
    }

    /// <summary>
    /// How many matches a keyword query may make BM25 score before it ranks a bounded candidate set instead (about 3 µs each
    /// on the benchmark machine, see docs/benchmarks.md).
    /// </summary>
    private const int KeywordMatchBudget = 2000;

    /// <summary>The share of partitions above which a query term is treated as too common to rank by.</summary>
    private const double CommonTermShare = 0.2;

    /// <summary>Below this many partitions every query term is kept.</summary>
    private const long CommonTermMinimumPartitions = 1000;

    /// <summary>Folds a term the way the unicode61 tokenizer (remove_diacritics 2) indexes it.</summary>
    private static string NormalizeTerm(string term)
    {
        var decomposed = term.ToLowerInvariant().Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                builder.Append(c);
            }
        }

        return builder.ToString().Normalize(NormalizationForm.FormC);
    }

    private static bool IsTokenChar(char c) =>
        char.IsLetterOrDigit(c) || char.IsSurrogate(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark or UnicodeCategory.PrivateUse;

    private static List<(long Id, double Relevance)> Fuse(List<(long Id, double Score)> keyword, List<(long Id, double Score)> vector)
    {
        var scores = new Dictionary<long, double>();
        for (var i = 0; i < keyword.Count; i++)
        {
            scores[keyword[i].Id] = scores.GetValueOrDefault(keyword[i].Id) + (1.0 / (RrfK + i + 1));
        }

        for (var i = 0; i < vector.Count; i++)
        {
            scores[vector[i].Id] = scores.GetValueOrDefault(vector[i].Id) + (1.0 / (RrfK + i + 1));
        }

        var best = 2.0 / (RrfK + 1);
        return scores.Select(kv => (kv.Key, Math.Min(1.0, kv.Value / best)))
            .OrderByDescending(x => x.Item2)
            .ThenBy(x => x.Key)
            .ToList();
    }

    private async Task<List<(long Id, double Score)>> KeywordSearchAsync(
        SqliteConnection connection, SqliteTransaction transaction, string index, string? text, List<MemoryFilter>? filters, int limit, CancellationToken cancellationToken)
    {
        var plan = await PlanKeywordQueryAsync(connection, transaction, ExtractTerms(text), cancellationToken).ConfigureAwait(false);
        var fts = plan.OrQuery;
        if (fts is null)
        {
            return [];
        }

        if (plan.Unranked)
        {
            return await NewestMatchesAsync(connection, transaction, index, plan, filters, limit, cancellationToken).ConfigureAwait(false);
        }

        if (plan.MatchCount > KeywordMatchBudget)
        {
            // Too many matches to score them all within a search's time: score the partitions holding the rarest terms.
            return await BoundedKeywordSearchAsync(connection, transaction, index, plan, filters, limit, cancellationToken).ConfigureAwait(false);
        }

        // Every match is few enough to score: rank them all inside FTS5.
        return await RankTopMatchesAsync(connection, transaction, index, [fts], long.MinValue, filters, limit, cancellationToken).ConfigureAwait(false);
    }

    private async Task<List<(long Id, double Score)>> VectorSearchAsync(
        string index, ReadOnlyMemory<float> queryVector, List<MemoryFilter>? filters, int limit, CancellationToken cancellationToken)
    {
        var snapshot = await GetSnapshotAsync(index, cancellationToken).ConfigureAwait(false);
        if (snapshot is null)
        {
            return [];
        }

        if (queryVector.Length != snapshot.Dimensions)
        {
            throw new ArgumentException(
                $"Query vector has {queryVector.Length} dimensions but index '{index}' uses {snapshot.Dimensions}.", nameof(queryVector));
        }

        HashSet<string>? allowed = null;
        if (filters is not null)
        {
            allowed = new HashSet<string>(StringComparer.Ordinal);
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                using var command = connection.CreateCommand();
                var filterSql = BuildFilterSql(command, "d", filters);
                command.CommandText = $"SELECT d.doc_id FROM documents d WHERE d.idx = $idx AND ({filterSql})";
                command.Parameters.AddWithValue("$idx", index);
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        allowed.Add(reader.GetString(0));
                    }
                }
            }
        }

        var q = queryVector.ToArray();
        VectorSnapshot.NormalizeInPlace(q);
        return snapshot.Search(q, limit, allowed);
    }

    /// <summary>Builds <c>(f1) OR (f2) …</c> over the tags table for rows aliased <paramref name="alias"/> (with idx and doc_id columns).</summary>
    private static string BuildFilterSql(SqliteCommand command, string alias, List<MemoryFilter>? filters)
    {
        if (filters is null || filters.Count == 0)
        {
            return "1";
        }

        var n = 0;
        var ors = new List<string>();
        foreach (var filter in filters)
        {
            var ands = new List<string>();
            foreach (var (exclude, conditions) in new[] { (false, filter.Required), (true, filter.Excluded) })
            {
                foreach (var (key, values) in conditions)
                {
                    foreach (var value in values)
                    {
                        var k = "$fk" + n.ToString(CultureInfo.InvariantCulture);
                        var v = "$fv" + n.ToString(CultureInfo.InvariantCulture);
                        n++;
                        command.Parameters.AddWithValue(k, key);
                        command.Parameters.AddWithValue(v, value);
                        ands.Add(
                            $"{(exclude ? "NOT " : string.Empty)}EXISTS (SELECT 1 FROM tags t WHERE t.idx = {alias}.idx AND t.doc_id = {alias}.doc_id AND t.key = {k} AND t.value = {v})");
                    }
                }
            }

            ors.Add(ands.Count == 0 ? "1" : "(" + string.Join(" AND ", ands) + ")");
        }

        return string.Join(" OR ", ors);
    }

    private const string DocumentColumns =
        "d.doc_id, d.source_name, d.source_url, d.media_type, d.content_hash, d.tags_json, d.updated_at, d.partition_count";

    private static MemoryDocument ReadDocument(SqliteDataReader reader, string index, int offset) => new(
        index,
        reader.GetString(offset),
        reader.GetString(offset + 1),
        reader.IsDBNull(offset + 2) ? null : reader.GetString(offset + 2),
        reader.GetString(offset + 3),
        reader.GetString(offset + 4),
        DeserializeTags(reader.GetString(offset + 5)),
        DateTimeOffset.Parse(reader.GetString(offset + 6), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
        reader.GetInt32(offset + 7));

    private static async Task<Dictionary<long, (MemoryDocument Document, MemoryPartition Partition)>> HydrateAsync(
        SqliteConnection connection, SqliteTransaction transaction, string index, IEnumerable<long> ids, CancellationToken cancellationToken)
    {
        var result = new Dictionary<long, (MemoryDocument, MemoryPartition)>();
        var idList = ids.ToList();
        if (idList.Count == 0)
        {
            return result;
        }

        var documents = new Dictionary<string, MemoryDocument>(StringComparer.Ordinal);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText =
            $"""
             SELECT {DocumentColumns}, p.id, p.number, p.text, p.section_path, p.vector
             FROM partitions p JOIN documents d ON d.idx = p.idx AND d.doc_id = p.doc_id
             WHERE +p.idx = $idx AND p.id IN (SELECT value FROM json_each($ids))
             """;
        command.Parameters.AddWithValue("$idx", index);
        command.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(idList));
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var docId = reader.GetString(0);
                if (!documents.TryGetValue(docId, out var document))
                {
                    documents[docId] = document = ReadDocument(reader, index, 0);
                }

                ReadOnlyMemory<float>? embedding = null;
                if (!reader.IsDBNull(12))
                {
                    var bytes = (byte[])reader.GetValue(12);
                    embedding = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
                }

                var partition = new MemoryPartition(reader.GetInt32(9), reader.GetString(10), reader.IsDBNull(11) ? null : reader.GetString(11), embedding);
                result[reader.GetInt64(8)] = (document, partition);
            }
        }

        return result;
    }

    private async Task<VectorSnapshot?> GetSnapshotAsync(string index, CancellationToken cancellationToken)
    {
        long generation;
        lock (_cacheLock)
        {
            if (_vectors.TryGetValue(index, out var cached))
            {
                return cached;
            }

            generation = _generations.GetValueOrDefault(index);
        }

        VectorSnapshot? snapshot;
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = connection.BeginTransaction(deferred: true);
            await using (transaction.ConfigureAwait(false))
            {
                var dimensions = await GetDimensionsAsync(connection, transaction, index, cancellationToken).ConfigureAwait(false);
                if (dimensions is not { } dims)
                {
                    return null;
                }

                // Sized up front (the count and the rows come from the same read transaction) and filled in place: no growing copies.
                using var count = connection.CreateCommand();
                count.Transaction = transaction;
                count.CommandText = "SELECT count(*) FROM partitions WHERE idx = $idx AND vector IS NOT NULL";
                count.Parameters.AddWithValue("$idx", index);
                var rows = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                var data = new float[(long)rows * dims];
                var ids = new long[rows];
                var docs = new string[rows];
                var n = 0;
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "SELECT id, doc_id, vector FROM partitions WHERE idx = $idx AND vector IS NOT NULL ORDER BY id";
                command.Parameters.AddWithValue("$idx", index);
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    var buffer = new byte[dims * sizeof(float)];
                    string? lastDocument = null;
                    while (n < rows && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        if (reader.GetBytes(2, 0, null, 0, 0) != buffer.Length)
                        {
                            continue;
                        }

                        reader.GetBytes(2, 0, buffer, 0, buffer.Length);
                        var row = data.AsSpan(n * dims, dims);
                        MemoryMarshal.Cast<byte, float>(buffer).CopyTo(row);
                        VectorSnapshot.NormalizeInPlace(row);
                        ids[n] = reader.GetInt64(0);

                        // Rows come in id order, so a document's rows are adjacent: share one string per document.
                        var documentId = reader.GetString(1);
                        lastDocument = lastDocument is not null && string.Equals(lastDocument, documentId, StringComparison.Ordinal) ? lastDocument : documentId;
                        docs[n] = lastDocument;
                        n++;
                    }
                }

                snapshot = n == rows
                    ? new VectorSnapshot(dims, data, ids, docs)
                    : new VectorSnapshot(dims, data.AsSpan(0, n * dims).ToArray(), ids.AsSpan(0, n).ToArray(), docs.AsSpan(0, n).ToArray());
            }
        }

        lock (_cacheLock)
        {
            // Only publish if no write happened since we started reading; otherwise it may be stale (still fine to use once).
            if (!_disposed && _generations.GetValueOrDefault(index) == generation && !_vectors.ContainsKey(index))
            {
                _vectors[index] = snapshot;
            }
        }

        return snapshot;
    }

    private void UpdateSnapshot(string index, long version, Func<VectorSnapshot, VectorSnapshot> update)
    {
        lock (_cacheLock)
        {
            _generations[index] = _generations.GetValueOrDefault(index) + 1;
            Interlocked.Increment(ref _writes);
            if (version == _knownVersion + 1)
            {
                // Nobody else wrote since this store last looked: apply its own change to the cached matrix.
                if (_vectors.TryGetValue(index, out var snapshot))
                {
                    _vectors[index] = update(snapshot);
                }
            }
            else
            {
                InvalidateCaches();
            }

            _knownVersion = Math.Max(_knownVersion, version);
        }
    }

    /// <summary>Increments the store version inside a write transaction and returns the new value.</summary>
    private static async Task<long> BumpVersionAsync(SqliteConnection connection, SqliteTransaction transaction, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "UPDATE store_version SET version = version + 1 WHERE id = 1 RETURNING version";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Drops every cache when the database changed through another connection or process since this store last looked
    /// (the store version moved without this store writing), so searches never miss or resurrect partitions.
    /// </summary>
    private async Task RefreshCachesAsync(CancellationToken cancellationToken)
    {
        long current;
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT version FROM store_version WHERE id = 1";
            current = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? 0L, CultureInfo.InvariantCulture);
        }

        lock (_cacheLock)
        {
            if (current != _knownVersion)
            {
                InvalidateCaches();
                _knownVersion = current;
            }
        }
    }

    /// <summary>Forgets the cached matrices and word statistics (call under the cache lock).</summary>
    private void InvalidateCaches()
    {
        foreach (var index in _vectors.Keys.ToList())
        {
            _generations[index] = _generations.GetValueOrDefault(index) + 1;
        }

        _vectors.Clear();
        Interlocked.Increment(ref _writes);
    }

    private static async Task<int?> GetDimensionsAsync(SqliteConnection connection, SqliteTransaction transaction, string index, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT dimensions FROM index_meta WHERE idx = $idx";
        command.Parameters.AddWithValue("$idx", index);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is null or DBNull ? null : Convert.ToInt32(value, CultureInfo.InvariantCulture);
    }

    private static async Task<bool> DeleteDocumentRowsAsync(
        SqliteConnection connection, SqliteTransaction transaction, string index, string documentId, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, transaction, "DELETE FROM partitions WHERE idx = $idx AND doc_id = $doc", cancellationToken, ("$idx", index), ("$doc", documentId))
            .ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, "DELETE FROM tags WHERE idx = $idx AND doc_id = $doc", cancellationToken, ("$idx", index), ("$doc", documentId))
            .ConfigureAwait(false);
        var deleted = await ExecuteAsync(connection, transaction, "DELETE FROM documents WHERE idx = $idx AND doc_id = $doc", cancellationToken, ("$idx", index), ("$doc", documentId))
            .ConfigureAwait(false);
        return deleted > 0;
    }

    private static async Task<int> ExecuteAsync(
        SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static IEnumerable<(string Key, string Value)> FilterTags(MemoryDocument document)
    {
        yield return (ReservedTags.DocumentId, document.DocumentId);
        yield return (ReservedTags.MediaType, document.MediaType ?? string.Empty);
        if (document.Tags is null)
        {
            yield break;
        }

        foreach (var (key, values) in document.Tags)
        {
            if (ReservedTags.IsReserved(key) || values is null)
            {
                continue;
            }

            foreach (var value in values)
            {
                if (value is not null)
                {
                    yield return (key, value);
                }
            }
        }
    }

    private static string SerializeTags(IReadOnlyDictionary<string, IReadOnlyList<string>>? tags) =>
        JsonSerializer.Serialize(tags?.ToDictionary(kv => kv.Key, kv => kv.Value ?? []) ?? new Dictionary<string, IReadOnlyList<string>>());

    private static Dictionary<string, IReadOnlyList<string>> DeserializeTags(string json)
    {
        var raw = JsonSerializer.Deserialize<Dictionary<string, List<string>>>(json) ?? [];
        return raw.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await OpenRawAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<SqliteConnection> OpenRawAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(
                connection,
                null,
                "PRAGMA busy_timeout = " + ((long)_options.BusyTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (SqliteException ex) when (IsNotADatabase(ex))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw NotADatabase(ex);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_initialized)
        {
            return;
        }

        await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            var directory = Path.GetDirectoryName(DatabasePath);
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            var connection = await OpenRawAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                try
                {
                    using (var check = connection.CreateCommand())
                    {
                        check.CommandText = "PRAGMA user_version";
                        var version = Convert.ToInt64(await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                        if (version > SchemaVersion)
                        {
                            throw new InvalidDataException(
                                $"Memory database '{DatabasePath}' has schema version {version}; this version of SkAgents supports up to {SchemaVersion}.");
                        }
                    }

                    await ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL", cancellationToken).ConfigureAwait(false);
                    var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                    await using (transaction.ConfigureAwait(false))
                    {
                        foreach (var sql in Schema)
                        {
                            await ExecuteAsync(connection, transaction, sql, cancellationToken).ConfigureAwait(false);
                        }

                        await ExecuteAsync(connection, transaction, "PRAGMA user_version = " + SchemaVersion.ToString(CultureInfo.InvariantCulture), cancellationToken)
                            .ConfigureAwait(false);
                        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (SqliteException ex) when (IsNotADatabase(ex))
                {
                    throw NotADatabase(ex);
                }
            }

            _initialized = true;
        }
        finally
        {
            _initLock.Release();
        }
    }

    private static bool IsNotADatabase(SqliteException ex) => ex.SqliteErrorCode is 26 or 11; // SQLITE_NOTADB, SQLITE_CORRUPT

    private InvalidDataException NotADatabase(SqliteException ex) =>
        new($"'{DatabasePath}' is not a SQLite memory database or is corrupt: {ex.Message}", ex);
}
