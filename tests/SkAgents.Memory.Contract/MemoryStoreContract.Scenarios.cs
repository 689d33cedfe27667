using SkAgents.Memory.Storage;

namespace SkAgents.Memory.Contract;

/// <summary>More contract cases: documents with URLs and sections, listing past a page, idempotent saves.</summary>
public static partial class MemoryStoreContract
{
    private static readonly DateTimeOffset Updated = new(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);

    private static MemoryDocument UrlDoc(string index, string id, int partitions, params (string Key, string Value)[] tags) =>
        new(index, id, id + ".md", $"https://example.com/{id}", "text/markdown", "hash-" + id,
            tags.GroupBy(t => t.Key).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(t => t.Value)]),
            Updated, partitions);

    private static MemoryPartition SectionPart(int n, string text, float[]? vector = null, string? section = null) =>
        new(n, text, section, vector is null ? null : new ReadOnlyMemory<float>(vector));

    private static async Task Save(StoreContext c, MemoryDocument doc, params MemoryPartition[] parts) =>
        await c.Store.SaveDocumentAsync(doc with { PartitionCount = parts.Length }, parts);

    public static async Task Save_get_list_delete_roundtrip(StoreContext c)
    {
        string ix = c.NewIndex("crud");
        var doc = UrlDoc(ix, "doc-1", 2, ("lang", "en"), ("topic", "a"), ("topic", "b"));
        await Save(c, doc, SectionPart(0, "first part", [1, 0, 0], "Intro"), SectionPart(1, "second part", [0, 1, 0]));

        MemoryDocument? got = await c.Store.GetDocumentAsync(ix, "doc-1");
        Assert.NotNull(got);
        Assert.Equal(ix, got.Index);
        Assert.Equal("doc-1", got.DocumentId);
        Assert.Equal("doc-1.md", got.SourceName);
        Assert.Equal("https://example.com/doc-1", got.SourceUrl);
        Assert.Equal("text/markdown", got.MediaType);
        Assert.Equal("hash-doc-1", got.ContentHash);
        Assert.Equal(Updated, got.UpdatedAt);
        Assert.Equal(2, got.PartitionCount);
        Assert.Equal(["lang", "topic"], got.Tags.Keys.Order());
        Assert.Equal(["a", "b"], got.Tags["topic"]);
        Assert.DoesNotContain(got.Tags.Keys, ReservedTags.IsReserved);

        var listed = await c.Store.ListDocumentsAsync(ix).ToListAsync();
        Assert.Equal("doc-1", Assert.Single(listed).DocumentId);
        Assert.Contains(ix, await c.Store.ListIndexesAsync());

        Assert.True(await c.Store.DeleteDocumentAsync(ix, "doc-1"));
        Assert.Null(await c.Store.GetDocumentAsync(ix, "doc-1"));
        Assert.Empty(await c.Store.ListDocumentsAsync(ix).ToListAsync());
        Assert.Empty(await c.Store.SearchAsync(ix, new MemoryQuery("part") { Mode = SearchMode.Keyword }));
        Assert.False(await c.Store.DeleteDocumentAsync(ix, "doc-1"));
    }

    public static async Task Missing_index_reads_are_empty(StoreContext c)
    {
        string ix = c.NewIndex("missing");
        Assert.Null(await c.Store.GetDocumentAsync(ix, "x"));
        Assert.Empty(await c.Store.ListDocumentsAsync(ix).ToListAsync());
        Assert.False(await c.Store.DeleteDocumentAsync(ix, "x"));
        Assert.Empty(await c.Store.SearchAsync(ix, new MemoryQuery("anything") { Mode = SearchMode.Keyword }));
        Assert.DoesNotContain(ix, await c.Store.ListIndexesAsync());
        await c.Store.DeleteIndexAsync(ix);
    }

    public static async Task Save_replaces_previous_version(StoreContext c)
    {
        string ix = c.NewIndex("replace");
        await Save(c, UrlDoc(ix, "d", 3), SectionPart(0, "alpha old"), SectionPart(1, "beta old"), SectionPart(2, "gamma old"));
        await Save(c, UrlDoc(ix, "d", 1, ("v", "2")), SectionPart(0, "alpha new"));

        MemoryDocument? got = await c.Store.GetDocumentAsync(ix, "d");
        Assert.Equal(1, got!.PartitionCount);
        Assert.Equal(["2"], got.Tags["v"]);
        Assert.Empty(await c.Store.SearchAsync(ix, new MemoryQuery("beta gamma old") { Mode = SearchMode.Keyword }));
        var hit = Assert.Single(await c.Store.SearchAsync(ix, new MemoryQuery("alpha") { Mode = SearchMode.Keyword }));
        Assert.Equal("alpha new", hit.Partition.Text);
        Assert.Equal(0, hit.Partition.PartitionNumber);
        Assert.Single(await c.Store.ListDocumentsAsync(ix).ToListAsync());
    }

    public static async Task Keyword_search_ranks_by_bm25(StoreContext c)
    {
        string ix = c.NewIndex("kw");
        await Save(c, UrlDoc(ix, "d1", 1), SectionPart(0, "the quick brown fox jumps over the lazy dog"));
        await Save(c, UrlDoc(ix, "d2", 1), SectionPart(0, "fox fox fox hunting at night"));
        await Save(c, UrlDoc(ix, "d3", 1), SectionPart(0, "cooking pasta with tomato sauce", section: "Kitchen"));

        var hits = await c.Store.SearchAsync(ix, new MemoryQuery("fox") { Mode = SearchMode.Keyword });
        Assert.Equal(["d2", "d1"], hits.Select(h => h.Document.DocumentId));
        Assert.All(hits, h => Assert.InRange(h.Relevance, 0.01, 0.9999));
        Assert.True(hits[0].Relevance > hits[1].Relevance);

        var pasta = Assert.Single(await c.Store.SearchAsync(ix, new MemoryQuery("tomato pasta") { Mode = SearchMode.Keyword }));
        Assert.Equal("Kitchen", pasta.Partition.SectionPath);
        Assert.Equal("d3.md", pasta.Document.SourceName);
        Assert.Empty(await c.Store.SearchAsync(ix, new MemoryQuery("zebra") { Mode = SearchMode.Keyword }));
    }

    public static async Task Vector_search_ranks_by_cosine(StoreContext c)
    {
        string ix = c.NewIndex("vec");
        await Save(c, UrlDoc(ix, "a", 1), SectionPart(0, "a", [1, 0, 0, 0]));
        await Save(c, UrlDoc(ix, "b", 1), SectionPart(0, "b", [0.8f, 0.6f, 0, 0]));
        await Save(c, UrlDoc(ix, "c", 1), SectionPart(0, "c", [0, 1, 0, 0]));
        await Save(c, UrlDoc(ix, "d", 1), SectionPart(0, "d", [-1, 0, 0, 0]));

        var hits = await c.Store.SearchAsync(ix, new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 1, 0, 0, 0 } });
        Assert.Equal(["a", "b", "c", "d"], hits.Select(h => h.Document.DocumentId));
        Assert.Equal(1.0, hits[0].Relevance, 3);
        Assert.Equal(0.8, hits[1].Relevance, 3);
        Assert.Equal(0.0, hits[2].Relevance, 3);
        Assert.Equal(0.0, hits[3].Relevance, 3);
        Assert.Equal([1f, 0f, 0f, 0f], hits[0].Partition.Embedding!.Value.ToArray());

        var limited = await c.Store.SearchAsync(ix, new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 1, 0, 0, 0 }, Limit = 2 });
        Assert.Equal(["a", "b"], limited.Select(h => h.Document.DocumentId));

        var relevant = await c.Store.SearchAsync(ix, new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 1, 0, 0, 0 }, MinRelevance = 0.7 });
        Assert.Equal(["a", "b"], relevant.Select(h => h.Document.DocumentId));

        await Assert.ThrowsAnyAsync<ArgumentException>(() => c.Store.SearchAsync(ix, new MemoryQuery("x") { Mode = SearchMode.Vector }));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => c.Store.SearchAsync(ix, new MemoryQuery("x") { Mode = SearchMode.Hybrid }));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => c.Store.SearchAsync(ix, new MemoryQuery("x") { Mode = SearchMode.Vector, Vector = new float[] { 1, 0 } }));
    }

    public static async Task Hybrid_search_fuses_keyword_and_vector(StoreContext c)
    {
        string ix = c.NewIndex("hybrid");
        await Save(c, UrlDoc(ix, "x", 1), SectionPart(0, "pasta", [1, 0, 0, 0]));
        await Save(c, UrlDoc(ix, "y", 1), SectionPart(0, "pasta and rice", [0, 1, 0, 0]));
        await Save(c, UrlDoc(ix, "z", 1), SectionPart(0, "rice", [0.9f, 0.1f, 0, 0]));

        var hits = await c.Store.SearchAsync(ix, new MemoryQuery("pasta") { Mode = SearchMode.Hybrid, Vector = new float[] { 1, 0, 0, 0 } });
        Assert.Equal("x", hits[0].Document.DocumentId);
        Assert.Equal(1.0, hits[0].Relevance, 3);
        Assert.Equal(["x", "y", "z"], hits.Select(h => h.Document.DocumentId).Order());
        Assert.All(hits, h => Assert.InRange(h.Relevance, 0, 1));
        Assert.True(hits.Zip(hits.Skip(1)).All(p => p.First.Relevance >= p.Second.Relevance));

        var top = await c.Store.SearchAsync(ix, new MemoryQuery("pasta") { Mode = SearchMode.Hybrid, Vector = new float[] { 1, 0, 0, 0 }, Limit = 1 });
        Assert.Equal("x", Assert.Single(top).Document.DocumentId);
        var strong = await c.Store.SearchAsync(ix, new MemoryQuery("pasta") { Mode = SearchMode.Hybrid, Vector = new float[] { 1, 0, 0, 0 }, MinRelevance = 0.999 });
        Assert.Equal("x", Assert.Single(strong).Document.DocumentId);
    }

    public static async Task Filters_combine_and_or_not(StoreContext c)
    {
        string ix = c.NewIndex("filters");
        await Save(c, UrlDoc(ix, "A", 1, ("color", "red"), ("size", "big")), SectionPart(0, "widget one"));
        await Save(c, UrlDoc(ix, "B", 1, ("color", "red"), ("size", "small")), SectionPart(0, "widget two"));
        await Save(c, UrlDoc(ix, "C", 1, ("color", "blue"), ("size", "big")), SectionPart(0, "widget three"));
        await Save(c, UrlDoc(ix, "D", 1, ("color", "red"), ("color", "green")), SectionPart(0, "widget four"));

        async Task<string[]> Find(params MemoryFilter[] filters) =>
            [.. (await c.Store.SearchAsync(ix, new MemoryQuery("widget") { Mode = SearchMode.Keyword, Filters = filters })).Select(h => h.Document.DocumentId).Order()];

        Assert.Equal(["A"], await Find(MemoryFilter.ByTag("color", "red").AndTag("size", "big")));
        Assert.Equal(["B", "C"], await Find(MemoryFilter.ByTag("color", "blue"), MemoryFilter.ByTag("size", "small")));
        Assert.Equal(["B", "D"], await Find(MemoryFilter.ByTag("color", "red").NotTag("size", "big")));
        Assert.Equal(["C", "D"], await Find(new MemoryFilter().NotTag("color", "red").NotTag("size", "small"), MemoryFilter.ByTag("color", "green")));
        Assert.Equal(["D"], await Find(MemoryFilter.ByTag("color", "red").AndTag("color", "green")));
        Assert.Equal(["C"], await Find(MemoryFilter.ByDocument("C")));
        Assert.Equal(["A", "B", "C", "D"], await Find(MemoryFilter.ByTag(ReservedTags.MediaType, "text/markdown")));
        Assert.Equal(["A", "B", "C", "D"], await Find(new MemoryFilter()));
        Assert.Empty(await Find(MemoryFilter.ByTag("color", "purple")));
    }

    public static async Task Indexes_with_similar_names_are_isolated(StoreContext c)
    {
        string a = c.NewIndex("iso-a"), b = c.NewIndex("iso_a");
        await Save(c, UrlDoc(a, "same", 1), SectionPart(0, "apples only here"));
        await Save(c, UrlDoc(b, "same", 1), SectionPart(0, "bananas only here"));

        Assert.Single(await c.Store.SearchAsync(a, new MemoryQuery("apples") { Mode = SearchMode.Keyword }));
        Assert.Empty(await c.Store.SearchAsync(a, new MemoryQuery("bananas") { Mode = SearchMode.Keyword }));
        var indexes = await c.Store.ListIndexesAsync();
        Assert.Contains(a, indexes);
        Assert.Contains(b, indexes);

        await c.Store.DeleteIndexAsync(a);
        Assert.DoesNotContain(a, await c.Store.ListIndexesAsync());
        Assert.Null(await c.Store.GetDocumentAsync(a, "same"));
        Assert.NotNull(await c.Store.GetDocumentAsync(b, "same"));
        Assert.Single(await c.Store.SearchAsync(b, new MemoryQuery("bananas") { Mode = SearchMode.Keyword }));

        await Save(c, UrlDoc(a, "again", 1), SectionPart(0, "apples are back"));
        Assert.Single(await c.Store.SearchAsync(a, new MemoryQuery("apples") { Mode = SearchMode.Keyword }));
    }

    public static async Task Saving_twice_is_idempotent(StoreContext c)
    {
        string ix = c.NewIndex("idem");
        var doc = UrlDoc(ix, "d", 2);
        await Save(c, doc, SectionPart(0, "one", [1, 0]), SectionPart(1, "two", [0, 1]));
        await Save(c, doc, SectionPart(0, "one", [1, 0]), SectionPart(1, "two", [0, 1]));
        Assert.Single(await c.Store.ListDocumentsAsync(ix).ToListAsync());
        Assert.Equal(2, (await c.Store.SearchAsync(ix, new MemoryQuery("one two") { Mode = SearchMode.Keyword })).Count);
        Assert.Equal(2, (await c.Store.SearchAsync(ix, new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 1, 1 } })).Count);
    }

    public static async Task Lists_many_documents_across_pages(StoreContext c)
    {
        string ix = c.NewIndex("many");
        for (int i = 0; i < 105; i++)
        {
            await Save(c, UrlDoc(ix, $"doc-{i:D3}", 0));
        }

        var listed = await c.Store.ListDocumentsAsync(ix).ToListAsync();
        Assert.Equal(105, listed.Select(d => d.DocumentId).Distinct().Count());
        Assert.All(listed, d => Assert.Equal(0, d.PartitionCount));
    }
}
