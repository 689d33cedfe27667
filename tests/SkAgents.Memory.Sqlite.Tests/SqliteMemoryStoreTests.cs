using Microsoft.Data.Sqlite;
using SkAgents.Memory.Storage;

namespace SkAgents.Memory.Sqlite.Tests;

public sealed class SqliteMemoryStoreTests : MemoryStoreContractTests, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "skagents-sqlite-tests-" + Guid.NewGuid().ToString("N"));

    public SqliteMemoryStoreTests() => Directory.CreateDirectory(_directory);

    private string DbPath => Path.Combine(_directory, "memory.db");

    protected override async Task<IMemoryStore> CreateStoreAsync() =>
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
