using SkAgents.Memory.Storage;

namespace SkAgents.Memory.Contract;

/// <summary>
/// Behaviour every <see cref="IMemoryStore"/> must have, written once and run against each store (SQLite, the
/// Weaviate-compatible test server, and a real Weaviate when <c>WEAVIATE_URL</c> is set). Each public static method taking a
/// <see cref="StoreContext"/> is one case; store-specific behaviour (how hybrid scores are fused, diacritic folding) is
/// tested in each store's own tests.
/// </summary>
public static partial class MemoryStoreContract
{
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
        store.SaveDocumentAsync(doc with { PartitionCount = partitions.Length }, partitions);

    private static async Task<List<string>> DocIds(IMemoryStore store, string index, MemoryQuery query) =>
        (await store.SearchAsync(index, query)).Select(h => h.Document.DocumentId).ToList();

    public static async Task Keyword_search_ignores_case(StoreContext c)
    {
        var store = c.Store;
        var index = c.NewIndex();
        await Save(store, Doc(index, "cafe"), Part(0, "The Station Cafe"));

        Assert.Equal(["cafe"], await DocIds(store, index, new MemoryQuery("CAFE") { Mode = SearchMode.Keyword }));
        Assert.Equal(["cafe"], await DocIds(store, index, new MemoryQuery("station") { Mode = SearchMode.Keyword }));
    }

    public static async Task Hybrid_search_puts_a_partition_first_in_both_rankings_first_with_relevance_one(StoreContext c)
    {
        var store = c.Store;
        var index = c.NewIndex();
        await Save(store, Doc(index, "top"), Part(0, "rocket rocket launch", 1, 0));
        await Save(store, Doc(index, "other"), Part(0, "rocket salad recipe with lots of leaves", 0, 1));
        await Save(store, Doc(index, "vector-only"), Part(0, "a spacecraft lifting off", 0.9f, 0.1f));

        var hits = await store.SearchAsync(index, new MemoryQuery("rocket") { Vector = new float[] { 1, 0 } });

        Assert.Equal(3, hits.Count);
        Assert.Equal("top", hits[0].Document.DocumentId);
        Assert.Equal(1.0, hits[0].Relevance, 6);
        Assert.All(hits.Skip(1), h => Assert.InRange(h.Relevance, 0.0, 0.999999));
        Assert.True(hits.Zip(hits.Skip(1)).All(p => p.First.Relevance >= p.Second.Relevance));
        Assert.Equal("top", Assert.Single(await store.SearchAsync(index, new MemoryQuery("rocket") { Vector = new float[] { 1, 0 }, Limit = 1 })).Document.DocumentId);
    }

    public static async Task Save_get_list_and_delete_round_trip(StoreContext c)
    {
        var store = c.Store;
        var index = c.NewIndex();
        var doc = Doc(index, "doc-1", ("team", "core"), ("team", "web"), ("year", "2026")) with { SourceUrl = "https://example.com/a" };
        await store.SaveDocumentAsync(doc, [new MemoryPartition(0, "hello world", "Intro > Start", null), Part(1, "second part")]);

        var loaded = await store.GetDocumentAsync(index, "doc-1");
        Assert.NotNull(loaded);
        Assert.Equal("doc-1.txt", loaded.SourceName);
        Assert.Equal("https://example.com/a", loaded.SourceUrl);
        Assert.Equal("text/plain", loaded.MediaType);
        Assert.Equal("hash-doc-1", loaded.ContentHash);
        Assert.Equal(doc.UpdatedAt, loaded.UpdatedAt);
        Assert.Equal(2, loaded.PartitionCount);
        Assert.Equal(["core", "web"], loaded.Tags["team"]);
        Assert.Equal(["2026"], loaded.Tags["year"]);
        Assert.Null(await store.GetDocumentAsync(index, "missing"));

        await Save(store, Doc(index, "doc-2"), Part(0, "other"));
        var listed = new List<string>();
        await foreach (var d in store.ListDocumentsAsync(index))
        {
            listed.Add(d.DocumentId);
        }

        Assert.Equal(["doc-1", "doc-2"], listed.Order());
        Assert.Contains(index, await store.ListIndexesAsync());

        var hit = Assert.Single(await store.SearchAsync(index, new MemoryQuery("hello") { Mode = SearchMode.Keyword }));
        Assert.Equal("Intro > Start", hit.Partition.SectionPath);
        Assert.Equal(0, hit.Partition.PartitionNumber);
        Assert.Equal("hello world", hit.Partition.Text);

        Assert.True(await store.DeleteDocumentAsync(index, "doc-1"));
        Assert.False(await store.DeleteDocumentAsync(index, "doc-1"));
        Assert.Null(await store.GetDocumentAsync(index, "doc-1"));
        Assert.Empty(await store.SearchAsync(index, new MemoryQuery("hello") { Mode = SearchMode.Keyword }));
        Assert.NotNull(await store.GetDocumentAsync(index, "doc-2"));
    }

    public static async Task Delete_index_removes_everything_in_it_only(StoreContext c)
    {
        var store = c.Store;
        var a = c.NewIndex();
        var b = c.NewIndex();
        await Save(store, Doc(a, "d"), Part(0, "alpha text", 1, 0));
        await Save(store, Doc(b, "d"), Part(0, "alpha text", 1, 0));

        await store.DeleteIndexAsync(a);

        Assert.DoesNotContain(a, await store.ListIndexesAsync());
        Assert.Contains(b, await store.ListIndexesAsync());
        Assert.Null(await store.GetDocumentAsync(a, "d"));
        Assert.Empty(await store.SearchAsync(a, new MemoryQuery("alpha") { Vector = new float[] { 1, 0 } }));
        Assert.Single(await store.SearchAsync(b, new MemoryQuery("alpha") { Vector = new float[] { 1, 0 } }));

        // A deleted index can start over with another embedding size.
        await Save(store, Doc(a, "d"), Part(0, "alpha text", 1, 0, 0));
        Assert.Single(await store.SearchAsync(a, new MemoryQuery("alpha") { Vector = new float[] { 1, 0, 0 } }));
    }

    public static async Task Replacing_a_document_keeps_only_the_new_partitions(StoreContext c)
    {
        var store = c.Store;
        var index = c.NewIndex();
        await Save(store, Doc(index, "doc"), Part(0, "old zebra", 1, 0), Part(1, "old giraffe", 0, 1), Part(2, "old lion", 1, 1));
        await Save(store, Doc(index, "doc") with { ContentHash = "v2" }, Part(0, "new penguin", 0, 1));

        var doc = await store.GetDocumentAsync(index, "doc");
        Assert.Equal(1, doc!.PartitionCount);
        Assert.Equal("v2", doc.ContentHash);
        Assert.Empty(await store.SearchAsync(index, new MemoryQuery("zebra giraffe lion old") { Mode = SearchMode.Keyword }));
        Assert.Single(await store.SearchAsync(index, new MemoryQuery("penguin") { Mode = SearchMode.Keyword }));

        var vectorHits = await store.SearchAsync(index, new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 1, 0 } });
        var hit = Assert.Single(vectorHits);
        Assert.Equal("new penguin", hit.Partition.Text);
    }

    public static async Task Keyword_search_ranks_by_bm25_with_relevance_in_unit_range(StoreContext c)
    {
        var store = c.Store;
        var index = c.NewIndex();
        await Save(store, Doc(index, "cats"), Part(0, "Cats purr. Cats nap. Cats chase mice."));
        await Save(store, Doc(index, "dogs"), Part(0, "Dogs bark at the mailman and fetch sticks."));
        await Save(store, Doc(index, "mixed"), Part(0, "A long story about a farm with horses, cows, chickens, a tractor and one cat named Tom."));
        await Save(store, Doc(index, "pets"), Part(0, "Pets: cats and dogs living together in a small flat."));

        var hits = await store.SearchAsync(index, new MemoryQuery("cats") { Mode = SearchMode.Keyword });

        Assert.Equal(["cats", "pets"], hits.Select(h => h.Document.DocumentId));
        Assert.All(hits, h => Assert.InRange(h.Relevance, 0.0, 1.0));
        Assert.True(hits[0].Relevance > hits[1].Relevance);
        Assert.Empty(await store.SearchAsync(index, new MemoryQuery("elephant") { Mode = SearchMode.Keyword }));
    }

    public static async Task Keyword_search_accepts_any_user_text(StoreContext c)
    {
        var store = c.Store;
        var index = c.NewIndex();
        await Save(store, Doc(index, "cats"), Part(0, "cats and more cats"));

        foreach (var text in new[] { "\"", "AND(", "cats\" OR", "NEAR(cats dogs", "* ^ - + : { } ( ) [ ]", "cats AND", "NOT", "col:cats", "'; DROP TABLE documents; --", "", "   " })
        {
            var hits = await store.SearchAsync(index, new MemoryQuery(text) { Mode = SearchMode.Keyword });
            Assert.All(hits, h => Assert.Equal("cats", h.Document.DocumentId));
        }

        Assert.NotNull(await store.GetDocumentAsync(index, "cats"));
    }

    public static async Task Keyword_search_finds_words_wrapped_in_fts_syntax(StoreContext c)
    {
        var store = c.Store;
        var index = c.NewIndex();
        await Save(store, Doc(index, "cats"), Part(0, "cats and more cats"));
        await Save(store, Doc(index, "dogs"), Part(0, "dogs only"));

        Assert.Equal(["cats"], await DocIds(store, index, new MemoryQuery("AND(cats") { Mode = SearchMode.Keyword }));
        Assert.Equal(["cats"], await DocIds(store, index, new MemoryQuery("\"cats\"*") { Mode = SearchMode.Keyword }));
        Assert.Equal(2, (await DocIds(store, index, new MemoryQuery("cats OR dogs") { Mode = SearchMode.Keyword })).Count);
    }

    public static async Task Vector_search_ranks_by_cosine_similarity(StoreContext c)
    {
        var store = c.Store;
        var index = c.NewIndex();
        await Save(store, Doc(index, "x"), Part(0, "x", 1, 0, 0));
        await Save(store, Doc(index, "xy"), Part(0, "xy", 0.8f, 0.6f, 0));
        await Save(store, Doc(index, "y"), Part(0, "y", 0, 2, 0)); // not unit length: cosine ignores length
        await Save(store, Doc(index, "minus-x"), Part(0, "-x", -1, 0, 0));
        await Save(store, Doc(index, "no-vector"), Part(0, "keyword only"));

        var hits = await store.SearchAsync(index, new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 3, 0, 0 } });

        Assert.Equal(["x", "xy", "y", "minus-x"], hits.Select(h => h.Document.DocumentId));
        Assert.Equal(1.0, hits[0].Relevance, 5);
        Assert.Equal(0.8, hits[1].Relevance, 5);
        Assert.Equal(0.0, hits[2].Relevance, 5);
        Assert.Equal(0.0, hits[3].Relevance, 5); // negative cosine clamps at 0
        Assert.Equal(new float[] { 0.8f, 0.6f, 0 }, hits[1].Partition.Embedding!.Value.ToArray());
    }

    public static async Task Vector_search_sees_later_saves_and_deletes(StoreContext c)
    {
        var store = c.Store;
        var index = c.NewIndex();
        var query = new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 1, 0 } };
        await Save(store, Doc(index, "a"), Part(0, "a", 0, 1));
        Assert.Equal(["a"], await DocIds(store, index, query));

        await Save(store, Doc(index, "b"), Part(0, "b", 1, 0));
        Assert.Equal(["b", "a"], await DocIds(store, index, query));

        await Save(store, Doc(index, "a"), Part(0, "a2", 1, 0.1f));
        Assert.Equal(["b", "a"], await DocIds(store, index, query));
        Assert.Equal("a2", (await store.SearchAsync(index, query))[1].Partition.Text);

        await store.DeleteDocumentAsync(index, "b");
        Assert.Equal(["a"], await DocIds(store, index, query));
    }

    public static async Task Vector_and_hybrid_modes_need_a_query_vector(StoreContext c)
    {
        var store = c.Store;
        var index = c.NewIndex();
        await Save(store, Doc(index, "d"), Part(0, "text", 1, 0));

        await Assert.ThrowsAsync<ArgumentException>(() => store.SearchAsync(index, new MemoryQuery("text") { Mode = SearchMode.Vector }));
        await Assert.ThrowsAsync<ArgumentException>(() => store.SearchAsync(index, new MemoryQuery("text")));
    }

    public static async Task Vector_size_mismatch_is_a_clear_argument_error(StoreContext c)
    {
        var store = c.Store;
        var index = c.NewIndex();
        await Save(store, Doc(index, "d3"), Part(0, "three", 1, 0, 0));

        var save = await Assert.ThrowsAsync<ArgumentException>(() => Save(store, Doc(index, "d4"), Part(0, "four", 1, 0, 0, 0)));
        Assert.Contains("3", save.Message);
        Assert.Contains("4", save.Message);
        Assert.Null(await store.GetDocumentAsync(index, "d4"));

        var search = await Assert.ThrowsAsync<ArgumentException>(
            () => store.SearchAsync(index, new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 1, 0 } }));
        Assert.Contains("2", search.Message);
        Assert.Contains("3", search.Message);

        // Another index learns its own size.
        var other = c.NewIndex();
        await Save(store, Doc(other, "d4"), Part(0, "four", 1, 0, 0, 0));
        Assert.Single(await store.SearchAsync(other, new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 1, 0, 0, 0 } }));
    }

    private static async Task<(IMemoryStore Store, string Index)> FilterFixtureAsync(StoreContext c)
    {
        var store = c.Store;
        var index = c.NewIndex();
        await Save(store, Doc(index, "core-2026", ("team", "core"), ("year", "2026")), Part(0, "quarterly report", 1, 0));
        await Save(store, Doc(index, "core-2025", ("team", "core"), ("year", "2025"), ("status", "draft")), Part(0, "quarterly report", 1, 0));
        await Save(store, Doc(index, "web-2026", ("team", "web"), ("year", "2026")), Part(0, "quarterly report", 1, 0));
        await Save(store, Doc(index, "both", ("team", "web"), ("team", "core"), ("year", "2024")), Part(0, "quarterly report", 1, 0));
        return (store, index);
    }

    private static MemoryQuery FilterQuery(SearchMode mode, params MemoryFilter[] filters) =>
        new("report") { Mode = mode, Vector = new float[] { 1, 0 }, Filters = filters };

    public static async Task Filters_and_or_not_and_by_document(StoreContext c)
    {
        var (store, index) = await FilterFixtureAsync(c);
        foreach (var mode in new[] { SearchMode.Keyword, SearchMode.Vector, SearchMode.Hybrid })
        {
            async Task<List<string>> Run(params MemoryFilter[] filters) => (await DocIds(store, index, FilterQuery(mode, filters))).Order().ToList();

            Assert.Equal(["both", "core-2025", "core-2026", "web-2026"], await Run());
            Assert.Equal(["both", "core-2025", "core-2026", "web-2026"], await Run(new MemoryFilter()));
            Assert.Equal(["core-2026"], await Run(MemoryFilter.ByTag("team", "core").AndTag("year", "2026")));
            Assert.Equal(["both"], await Run(MemoryFilter.ByTag("team", "core").AndTag("team", "web")));
            Assert.Equal(["both", "core-2026", "web-2026"], await Run(MemoryFilter.ByTag("year", "2026"), MemoryFilter.ByTag("year", "2024")));
            Assert.Equal(["both", "core-2026"], await Run(MemoryFilter.ByTag("team", "core").NotTag("status", "draft")));
            Assert.Equal(["both", "core-2026", "web-2026"], await Run(new MemoryFilter().NotTag("status", "draft")));
            Assert.Equal(["web-2026"], await Run(MemoryFilter.ByTag("year", "2026").NotTag("team", "core")));
            Assert.Equal(["core-2025"], await Run(MemoryFilter.ByDocument("core-2025")));
            Assert.Equal(["core-2025", "web-2026"], await Run(MemoryFilter.ByDocument("core-2025"), MemoryFilter.ByDocument("web-2026")));
            Assert.Equal(["both", "core-2025", "core-2026", "web-2026"], await Run(MemoryFilter.ByTag(ReservedTags.MediaType, "text/plain")));
            Assert.Empty(await Run(MemoryFilter.ByTag("team", "nobody")));
            Assert.Empty(await Run(MemoryFilter.ByDocument("core-2025").AndTag("year", "2026")));
        }
    }

    public static async Task Filters_reach_past_many_better_unfiltered_candidates(StoreContext c)
    {
        var store = c.Store;
        var index = c.NewIndex();
        for (var i = 0; i < 60; i++)
        {
            await Save(store, Doc(index, $"noise-{i:D2}", ("kind", "noise")), Part(0, "needle needle needle", 1, 0));
        }

        await Save(store, Doc(index, "wanted", ("kind", "wanted")), Part(0, "a needle in a very long haystack of many other words", 0.1f, 1));

        foreach (var mode in new[] { SearchMode.Keyword, SearchMode.Vector, SearchMode.Hybrid })
        {
            var hits = await DocIds(store, index, new MemoryQuery("needle") { Mode = mode, Vector = new float[] { 1, 0 }, Limit = 1, Filters = [MemoryFilter.ByTag("kind", "wanted")] });
            Assert.Equal(["wanted"], hits);
        }
    }

    public static async Task Min_relevance_drops_weaker_hits(StoreContext c)
    {
        var store = c.Store;
        var index = c.NewIndex();
        await Save(store, Doc(index, "x"), Part(0, "x", 1, 0));
        await Save(store, Doc(index, "xy"), Part(0, "xy", 0.8f, 0.6f));
        await Save(store, Doc(index, "y"), Part(0, "y", 0, 1));

        Assert.Equal(["x", "xy"], await DocIds(store, index, new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 1, 0 }, MinRelevance = 0.5 }));
        Assert.Equal(["x"], await DocIds(store, index, new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 1, 0 }, MinRelevance = 0.9 }));

        var keyword = await store.SearchAsync(index, new MemoryQuery("xy") { Mode = SearchMode.Keyword });
        Assert.Single(keyword);
        Assert.Empty(await store.SearchAsync(index, new MemoryQuery("xy") { Mode = SearchMode.Keyword, MinRelevance = keyword[0].Relevance + 1e-9 }));
    }

    public static async Task Limit_caps_the_results_keeping_the_best(StoreContext c)
    {
        var store = c.Store;
        var index = c.NewIndex();
        for (var i = 0; i < 8; i++)
        {
            await Save(store, Doc(index, $"d{i}"), Part(0, string.Join(' ', Enumerable.Repeat("word", i + 1)) + " filler text here", 1, i));
        }

        Assert.Equal(["d0", "d1", "d2"], await DocIds(store, index, new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 1, 0 }, Limit = 3 }));
        Assert.Equal(3, (await DocIds(store, index, new MemoryQuery("word") { Mode = SearchMode.Keyword, Limit = 3 })).Count);
        Assert.Equal(3, (await DocIds(store, index, new MemoryQuery("word") { Vector = new float[] { 1, 0 }, Limit = 3 })).Count);
        Assert.Equal(8, (await DocIds(store, index, new MemoryQuery("word") { Mode = SearchMode.Keyword })).Count);
    }

    public static async Task Indexes_are_isolated(StoreContext c)
    {
        var store = c.Store;
        var a = c.NewIndex();
        var b = c.NewIndex();
        await Save(store, Doc(a, "same-id", ("owner", "a")), Part(0, "shared words in a", 1, 0));
        await Save(store, Doc(b, "same-id", ("owner", "b")), Part(0, "shared words in b", 1, 0), Part(1, "more b", 0, 1));

        Assert.Equal(1, (await store.GetDocumentAsync(a, "same-id"))!.PartitionCount);
        Assert.Equal(2, (await store.GetDocumentAsync(b, "same-id"))!.PartitionCount);
        var hits = await store.SearchAsync(a, new MemoryQuery("shared") { Vector = new float[] { 1, 0 } });
        Assert.All(hits, h => Assert.Equal(a, h.Document.Index));
        Assert.All(hits, h => Assert.Equal(["a"], h.Document.Tags["owner"]));
        Assert.Single(hits);

        await store.DeleteDocumentAsync(a, "same-id");
        Assert.NotNull(await store.GetDocumentAsync(b, "same-id"));
        Assert.Equal(2, (await store.SearchAsync(b, new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 1, 0 } })).Count);
    }

    public static async Task Cancelled_calls_throw_and_change_nothing(StoreContext c)
    {
        var store = c.Store;
        var index = c.NewIndex();
        await Save(store, Doc(index, "d"), Part(0, "original"));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.SaveDocumentAsync(Doc(index, "d"), [Part(0, "replacement")], cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.SearchAsync(index, new MemoryQuery("original") { Mode = SearchMode.Keyword }, cts.Token));

        Assert.Equal(["d"], await DocIds(store, index, new MemoryQuery("original") { Mode = SearchMode.Keyword }));
    }
}
