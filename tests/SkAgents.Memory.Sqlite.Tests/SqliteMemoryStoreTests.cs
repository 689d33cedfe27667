using System.Globalization;
using Microsoft.Data.Sqlite;
using SkAgents.Memory.Contract;
using SkAgents.Memory.Storage;

namespace SkAgents.Memory.Sqlite.Tests;

public sealed class SqliteMemoryStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "skagents-sqlite-tests-" + Guid.NewGuid().ToString("N"));

    public SqliteMemoryStoreTests() => Directory.CreateDirectory(_directory);

    private string DbPath => Path.Combine(_directory, "memory.db");

    public static IEnumerable<object[]> ContractCases => MemoryStoreContract.Names();

    [Theory]
    [MemberData(nameof(ContractCases))]
    public async Task Contract(string name)
    {
        await using var context = new StoreContext(await CreateStoreAsync());
        await MemoryStoreContract.RunAsync(name, context);
    }

    private static string NewIndex() => "idx-" + Guid.NewGuid().ToString("N")[..8];

    private static MemoryDocument Doc(string index, string id, params (string Key, string Value)[] tags) => new(
        index,
        id,
        id + ".txt",
        null,
        "text/plain",
        "hash-" + id,
        tags.GroupBy(t => t.Key).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(t => t.Value).ToList()),
        new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)),
        0);

    private static MemoryPartition Part(int number, string text, params float[] vector) =>
        new(number, text, null, vector.Length == 0 ? (ReadOnlyMemory<float>?)null : vector);

    private static Task Save(IMemoryStore store, MemoryDocument doc, params MemoryPartition[] partitions) =>
        store.SaveDocumentAsync(doc, partitions);

    private static async Task<List<string>> DocIds(IMemoryStore store, string index, MemoryQuery query) =>
        (await store.SearchAsync(index, query)).Select(h => h.Document.DocumentId).ToList();

    [Fact]
    public async Task Hybrid_search_fuses_keyword_and_vector_ranks()
    {
        await using var store = await CreateStoreAsync();
        var index = NewIndex();
        // keyword "apple": d2 (three times) > d1; vector (1,0,0): d1 > d3 > d2.
        await Save(store, Doc(index, "d1"), Part(0, "apple pie with cinnamon and a buttery crust", 1, 0, 0));
        await Save(store, Doc(index, "d2"), Part(0, "apple apple apple", 0, 0, 1));
        await Save(store, Doc(index, "d3"), Part(0, "banana bread", 0.9f, 0.1f, 0.05f));

        var hits = await store.SearchAsync(index, new MemoryQuery("apple") { Vector = new float[] { 1, 0, 0 } });

        // RRF: d1 = 1/62 + 1/61, d2 = 1/61 + 1/63, d3 = 1/62.
        Assert.Equal(["d1", "d2", "d3"], hits.Select(h => h.Document.DocumentId));
        var best = 2.0 / 61;
        Assert.Equal(((1.0 / 62) + (1.0 / 61)) / best, hits[0].Relevance, 6);
        Assert.Equal(((1.0 / 61) + (1.0 / 63)) / best, hits[1].Relevance, 6);
        Assert.Equal((1.0 / 62) / best, hits[2].Relevance, 6);
    }

    [Fact]
    public async Task Hybrid_search_gives_one_to_a_partition_first_in_both()
    {
        await using var store = await CreateStoreAsync();
        var index = NewIndex();
        await Save(store, Doc(index, "top"), Part(0, "rocket rocket launch", 1, 0));
        await Save(store, Doc(index, "other"), Part(0, "rocket salad recipe with lots of leaves", 0, 1));

        var hits = await store.SearchAsync(index, new MemoryQuery("rocket") { Vector = new float[] { 1, 0 } });

        Assert.Equal("top", hits[0].Document.DocumentId);
        Assert.Equal(1.0, hits[0].Relevance, 9);
        Assert.Equal(61.0 / 62, hits[1].Relevance, 9); // second in both lists
    }

    [Fact]
    public async Task Keyword_search_ignores_case_and_diacritics()
    {
        await using var store = await CreateStoreAsync();
        var index = NewIndex();
        await Save(store, Doc(index, "cafe"), Part(0, "Le Café près de la gare"));

        Assert.Equal(["cafe"], await DocIds(store, index, new MemoryQuery("CAFE") { Mode = SearchMode.Keyword }));
        Assert.Equal(["cafe"], await DocIds(store, index, new MemoryQuery("pres") { Mode = SearchMode.Keyword }));
    }

    private async Task<IMemoryStore> CreateStoreAsync() =>
        await SqliteMemoryStore.OpenAsync(new SqliteMemoryStoreOptions { DatabasePath = DbPath });

    [Fact]
    public async Task Near_universal_query_words_are_left_out_of_keyword_ranking_in_large_collections()
    {
        await using var store = await CreateStoreAsync();
        var index = NewIndex();
        for (var d = 0; d < 12; d++)
        {
            var parts = Enumerable.Range(0, 100)
                .Select(i => Part(i, (d * 100) + i < 3 ? $"common words and the rare marker {i}" : $"common words number {i}"))
                .ToArray();
            await Save(store, Doc(index, $"doc-{d}"), parts);
        }

        // "common" is in all 1,200 partitions, "rare" in 3: ranking by "rare" alone returns just those three.
        var hits = await store.SearchAsync(index, new MemoryQuery("common rare") { Mode = SearchMode.Keyword, Limit = 10 });

        Assert.Equal(3, hits.Count);
        Assert.All(hits, h => Assert.Contains("rare", h.Partition.Text, StringComparison.Ordinal));

        // A query of only common words still matches (all its terms are kept).
        var common = await store.SearchAsync(index, new MemoryQuery("common words") { Mode = SearchMode.Keyword, Limit = 10 });
        Assert.Equal(10, common.Count);
    }

    [Fact]
    public async Task Queries_matching_too_many_partitions_rank_a_bounded_candidate_set_rarest_terms_first()
    {
        await using var store = await CreateStoreAsync();
        var index = NewIndex();

        // 3,000 partitions: "alpha" in 1,500, "beta" in 1,500, both in exactly ten (with "beta" twice in the best three).
        // 3,000 (partition, term) matches exceed the scoring budget, so candidates come from the rarer-first conjunctions.
        for (var d = 0; d < 30; d++)
        {
            var parts = Enumerable.Range(0, 100).Select(i =>
            {
                var n = (d * 100) + i;
                var text = n switch
                {
                    < 3 => $"alpha beta beta filler {n}",
                    < 10 => $"alpha beta filler {n}",
                    < 1500 => $"alpha filler words {n}",
                    < 2990 => $"beta filler words {n}",
                    _ => $"unrelated filler words {n}",
                };
                return Part(i, n is >= 20 and < 2220 ? text + " " + Quad[(n - 20) / 550] : text);
            }).ToArray();
            await Save(store, Doc(index, $"doc-{d}"), parts);
        }

        var hits = await store.SearchAsync(index, new MemoryQuery("alpha beta") { Mode = SearchMode.Keyword, Limit = 10 });

        Assert.Equal(10, hits.Count);
        Assert.All(hits, h => Assert.Contains("alpha beta", h.Partition.Text, StringComparison.Ordinal));
        Assert.All(hits.Take(3), h => Assert.Contains("beta beta", h.Partition.Text, StringComparison.Ordinal));
        Assert.True(hits.Zip(hits.Skip(1)).All(p => p.First.Relevance >= p.Second.Relevance));

        // A rare term (10 partitions) next to four words of 550 partitions each (2,210 matches): all of the rare term's
        // partitions are candidates and rank first, and the remaining places are filled from the next rarest word.
        var mixed = await store.SearchAsync(index, new MemoryQuery("unrelated gamma delta epsilon zeta") { Mode = SearchMode.Keyword, Limit = 20 });
        Assert.Equal(20, mixed.Count);
        Assert.All(mixed.Take(10), h => Assert.StartsWith("unrelated", h.Partition.Text, StringComparison.Ordinal));
        Assert.All(mixed.Skip(10), h => Assert.Contains(Quad, w => h.Partition.Text.EndsWith(" " + w, StringComparison.Ordinal)));

        // A word in every partition (3,000 matches, over the budget, nothing rarer to require): the newest partitions are
        // scored, about the budget's worth, and the results come from them.
        var universal = await store.SearchAsync(index, new MemoryQuery("filler") { Mode = SearchMode.Keyword, Limit = 10 });
        Assert.Equal(10, universal.Count);
        Assert.All(universal, h => Assert.True(
            int.Parse(h.Partition.Text.Split(' ').First(w => w.Length > 0 && char.IsDigit(w[0])), CultureInfo.InvariantCulture) >= 999,
            $"'{h.Partition.Text}' is older than the scored window"));
    }

    private static readonly string[] Quad = ["gamma", "delta", "epsilon", "zeta"];

    [Fact]
    public async Task Writes_through_another_store_on_the_same_file_are_seen_by_cached_searches()
    {
        await using var reader = await CreateStoreAsync();
        await using var writer = await CreateStoreAsync();
        var index = NewIndex();
        var vector = new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 1, 0 } };
        await Save(writer, Doc(index, "first"), Part(0, "first words", 0, 1));

        // The reader caches its matrix and word statistics...
        Assert.Equal(["first"], await DocIds(reader, index, vector));
        Assert.Equal(["first"], await DocIds(reader, index, new MemoryQuery("words") { Mode = SearchMode.Keyword }));

        // ...and still sees what another connection (here another store; as well another process) writes and deletes.
        await Save(writer, Doc(index, "second"), Part(0, "second words", 1, 0));
        Assert.Equal(["second", "first"], await DocIds(reader, index, vector));
        await writer.DeleteDocumentAsync(index, "first");
        Assert.Equal(["second"], await DocIds(reader, index, vector));
        Assert.Equal(["second"], await DocIds(reader, index, new MemoryQuery("words") { Mode = SearchMode.Keyword }));

        // Its own writes keep the cache in step without a reload.
        await Save(reader, Doc(index, "third"), Part(0, "third words", 0.9f, 0.1f));
        Assert.Equal(["second", "third"], await DocIds(reader, index, vector));
        await writer.DeleteIndexAsync(index);
        Assert.Empty(await DocIds(reader, index, vector));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public void Default_path_is_per_user()
    {
        var path = new SqliteMemoryStoreOptions().DatabasePath;
        Assert.EndsWith(Path.Combine("skagents", "memory.db"), path);
        Assert.StartsWith(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), path);
    }

    [Fact]
    public async Task Data_persists_across_store_instances()
    {
        var index = NewIndex();
        await using (var store = await CreateStoreAsync())
        {
            await Save(store, Doc(index, "kept", ("k", "v")), Part(0, "persistent penguin", 0.6f, 0.8f), Part(1, "second", 1, 0));
            Assert.Equal("persistent penguin", (await store.SearchAsync(index, new MemoryQuery("penguin") { Vector = new float[] { 0.6f, 0.8f } }))[0].Partition.Text);
        }

        await using (var reopened = new SqliteMemoryStore(new SqliteMemoryStoreOptions { DatabasePath = DbPath }))
        {
            var doc = await reopened.GetDocumentAsync(index, "kept");
            Assert.Equal(2, doc!.PartitionCount);
            Assert.Equal(["v"], doc.Tags["k"]);
            var hits = await reopened.SearchAsync(index, new MemoryQuery("penguin") { Vector = new float[] { 0.6f, 0.8f }, Filters = [MemoryFilter.ByTag("k", "v")] });
            Assert.Equal("persistent penguin", hits[0].Partition.Text);
            Assert.Equal(1.0, hits[0].Relevance, 9);

            // The learned embedding size persists too.
            await Assert.ThrowsAsync<ArgumentException>(() => Save(reopened, Doc(index, "bad"), Part(0, "bad", 1, 0, 0)));
        }
    }

    [Fact]
    public async Task File_uses_wal_and_the_expected_schema()
    {
        await using (var store = await CreateStoreAsync())
        {
            await Save(store, Doc(NewIndex(), "d"), Part(0, "text", 1, 2));
        }

        await using var connection = new SqliteConnection($"Data Source={DbPath}");
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
        command.CommandText = "SELECT name FROM sqlite_master WHERE type IN ('table') ORDER BY name";
        var tables = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("documents", tables);
        Assert.Contains("partitions", tables);
        Assert.Contains("tags", tables);
        Assert.Contains("partitions_fts", tables);
        command.CommandText = "SELECT length(vector) FROM partitions";
        Assert.Equal(8L, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_save_that_fails_midway_leaves_the_old_version()
    {
        var index = NewIndex();
        await using var store = await CreateStoreAsync();
        await Save(store, Doc(index, "doc"), Part(0, "old alpha", 1, 0), Part(1, "old beta", 0, 1));

        // Make the third partition insert fail inside the save's transaction.
        await using (var connection = new SqliteConnection($"Data Source={DbPath}"))
        {
            await connection.OpenAsync();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TRIGGER boom BEFORE INSERT ON partitions WHEN new.text = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END";
            await command.ExecuteNonQueryAsync();
        }

        await Assert.ThrowsAsync<SqliteException>(() => Save(store, Doc(index, "doc"), Part(0, "new gamma", 1, 0), Part(1, "new delta", 1, 1), Part(2, "boom", 0, 1)));

        Assert.Equal(2, (await store.GetDocumentAsync(index, "doc"))!.PartitionCount);
        Assert.Equal(2, (await store.SearchAsync(index, new MemoryQuery("old") { Mode = SearchMode.Keyword })).Count);
        Assert.Empty(await store.SearchAsync(index, new MemoryQuery("gamma delta") { Mode = SearchMode.Keyword }));
        var vector = await store.SearchAsync(index, new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 1, 0 } });
        Assert.Equal(["old alpha", "old beta"], vector.Select(h => h.Partition.Text));
    }

    [Fact]
    public async Task Readers_search_while_a_writer_saves_many_documents()
    {
        var index = NewIndex();
        await using var store = await CreateStoreAsync();
        await Save(store, Doc(index, "shared"), Part(0, "version0 shared", 1, 0), Part(1, "version0 shared", 1, 0));

        var writing = true;
        var writer = Task.Run(async () =>
        {
            try
            {
                for (var i = 1; i <= 150; i++)
                {
                    await Save(store, Doc(index, $"doc-{i}", ("n", i.ToString())), Part(0, $"common doc{i} words", 1, i % 7), Part(1, $"common tail{i}", i % 5, 1));
                    var v = $"version{i}";
                    await Save(store, Doc(index, "shared") with { ContentHash = v }, Part(0, $"{v} shared", 1, 0), Part(1, $"{v} shared", 1, 0), Part(2, $"{v} shared", 1, 0.01f));
                    if (i % 10 == 0)
                    {
                        await store.DeleteDocumentAsync(index, $"doc-{i - 5}");
                    }
                }
            }
            finally
            {
                Volatile.Write(ref writing, false);
            }
        });

        var readers = Enumerable.Range(0, 3).Select(r => Task.Run(async () =>
        {
            var searches = 0;
            while (Volatile.Read(ref writing) || searches < 5)
            {
                var mode = (SearchMode)(searches % 3);
                var hits = await store.SearchAsync(index, new MemoryQuery("shared common") { Mode = mode, Vector = new float[] { 1, 0 }, Limit = 50 });
                var shared = hits.Where(h => h.Document.DocumentId == "shared").ToList();
                var versions = shared.Select(h => h.Partition.Text.Split(' ')[0]).Distinct().ToList();
                Assert.True(versions.Count <= 1, $"mixed versions: {string.Join(", ", versions)}");
                Assert.All(shared, h => Assert.StartsWith(h.Document.ContentHash == "hash-shared" ? "version0" : h.Document.ContentHash, h.Partition.Text));
                Assert.All(hits, h => Assert.InRange(h.Relevance, 0.0, 1.0));
                Assert.All(hits, h => Assert.True(h.Partition.PartitionNumber < h.Document.PartitionCount));
                searches++;
            }

            return searches;
        })).ToList();

        await writer;
        var counts = await Task.WhenAll(readers);
        Assert.All(counts, c => Assert.True(c >= 5));

        var all = new List<string>();
        await foreach (var d in store.ListDocumentsAsync(index))
        {
            all.Add(d.DocumentId);
        }

        Assert.Equal(151 - 15, all.Count);
        var final = await store.SearchAsync(index, new MemoryQuery("shared") { Mode = SearchMode.Keyword, Filters = [MemoryFilter.ByDocument("shared")] });
        Assert.Equal(3, final.Count);
        Assert.All(final, h => Assert.StartsWith("version150", h.Partition.Text));
        var vectorCount = (await store.SearchAsync(index, new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 1, 0 }, Limit = 1000 })).Count;
        Assert.Equal((136 - 1) * 2 + 3, vectorCount);
    }

    [Fact]
    public async Task A_corrupt_file_fails_with_an_error_naming_the_path()
    {
        await File.WriteAllTextAsync(DbPath, "this is definitely not a SQLite database file, just some text that is long enough to look like a header....");

        var open = await Assert.ThrowsAsync<InvalidDataException>(() => SqliteMemoryStore.OpenAsync(new SqliteMemoryStoreOptions { DatabasePath = DbPath }));
        Assert.Contains(DbPath, open.Message);

        await using var lazy = new SqliteMemoryStore(new SqliteMemoryStoreOptions { DatabasePath = DbPath });
        var search = await Assert.ThrowsAsync<InvalidDataException>(() => lazy.SearchAsync("i", new MemoryQuery("x") { Mode = SearchMode.Keyword }));
        Assert.Contains(DbPath, search.Message);
    }

    [Fact]
    public async Task The_database_folder_is_created_and_disposed_stores_refuse_calls()
    {
        var path = Path.Combine(_directory, "nested", "deeper", "m.db");
        var store = await SqliteMemoryStore.OpenAsync(new SqliteMemoryStoreOptions { DatabasePath = path });
        Assert.True(File.Exists(path));
        Assert.Equal(path, store.DatabasePath);
        await store.DisposeAsync();
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetDocumentAsync("i", "d"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Save(store, Doc("i", "d"), Part(0, "x")));
    }
}
