using SkAgents.Memory.Contract;
using SkAgents.Memory.Storage;

namespace SkAgents.Memory.Weaviate.Tests;

/// <summary>The shared memory store contract (<see cref="MemoryStoreContract"/>, also run on SQLite) against <see cref="FakeWeaviateServer"/>.</summary>
public sealed class FakeWeaviateContractTests
{
    public static IEnumerable<object[]> Cases => MemoryStoreContract.Names();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Contract(string name)
    {
        await using var server = await FakeWeaviateServer.StartAsync(apiKey: "test-key");
        await using var context = new StoreContext(new WeaviateMemoryStore(new WeaviateMemoryStoreOptions { Endpoint = server.RootUri, ApiKey = "test-key" }));
        await MemoryStoreContract.RunAsync(name, context);
    }

    [Fact]
    public async Task Hybrid_search_fuses_with_relative_scores_and_similar_index_names_get_distinct_classes()
    {
        await using var server = await FakeWeaviateServer.StartAsync(apiKey: "test-key");
        await using var store = new WeaviateMemoryStore(new WeaviateMemoryStoreOptions { Endpoint = server.RootUri, ApiKey = "test-key" });
        const string ix = "fusion";
        await store.SaveDocumentAsync(Doc(ix, "x"), [new MemoryPartition(0, "pasta", null, new float[] { 1, 0, 0, 0 })]);
        await store.SaveDocumentAsync(Doc(ix, "y"), [new MemoryPartition(0, "pasta and rice", null, new float[] { 0, 1, 0, 0 })]);
        await store.SaveDocumentAsync(Doc(ix, "z"), [new MemoryPartition(0, "rice", null, new float[] { 0.9f, 0.1f, 0, 0 })]);

        // relativeScoreFusion (alpha 0.5): each ranking's scores are min-max normalized, then averaged. "z" (vector
        // 0.9, no keyword match) lands between the two rankings' extremes; reciprocal rank fusion (SQLite) would put "y" second.
        var hits = await store.SearchAsync(ix, new MemoryQuery("pasta") { Mode = SearchMode.Hybrid, Vector = new float[] { 1, 0, 0, 0 } });
        Assert.Equal(["x", "z", "y"], hits.Select(h => h.Document.DocumentId));
        Assert.Equal(1.0, hits[0].Relevance, 3);
        Assert.InRange(hits[1].Relevance, 0.3, 0.7);

        Assert.NotEqual(store.GetClassName("iso-a"), store.GetClassName("iso_a"));
    }

    private static MemoryDocument Doc(string index, string id) =>
        new(index, id, id + ".md", null, "text/markdown", "hash-" + id, new Dictionary<string, IReadOnlyList<string>>(), DateTimeOffset.UnixEpoch, 1);
}

/// <summary>
/// The same contract against a real Weaviate at <c>WEAVIATE_URL</c> (API key from <c>WEAVIATE_API_KEY</c>). Without
/// <c>WEAVIATE_URL</c> this class has no test cases (see <see cref="RealWeaviateTheoryAttribute"/>).
/// </summary>
public sealed class RealWeaviateContractTests
{
    public static IEnumerable<object[]> Cases => MemoryStoreContract.Names();

    [RealWeaviateTheory]
    [MemberData(nameof(Cases))]
    public async Task Contract(string name)
    {
        var store = new WeaviateMemoryStore(new WeaviateMemoryStoreOptions
        {
            Endpoint = new Uri(RealWeaviateTheoryAttribute.Url!),
            ApiKey = Environment.GetEnvironmentVariable("WEAVIATE_API_KEY"),
            CollectionPrefix = "SkTest_",
        });
        await store.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
        await using var context = new StoreContext(store, deleteIndexes: true);
        await MemoryStoreContract.RunAsync(name, context);
    }
}
