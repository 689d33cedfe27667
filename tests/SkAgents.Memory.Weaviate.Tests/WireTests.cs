using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SkAgents.Memory.Storage;
using static SkAgents.Memory.Weaviate.Tests.WireTestData;

namespace SkAgents.Memory.Weaviate.Tests;

/// <summary>What the store puts on the wire and how it reacts to server errors, checked against the fake server.</summary>
public sealed class WireTests
{
    private const string Key = "s3cret-key-value";

    private static WeaviateMemoryStore Store(FakeWeaviateServer server, string? key = Key, Uri? endpoint = null) =>
        new(new WeaviateMemoryStoreOptions { Endpoint = endpoint ?? server.RootUri, ApiKey = key });

    [Fact]
    public async Task Creates_collection_lazily_once_with_vectorizer_none_and_expected_properties()
    {
        await using var server = await FakeWeaviateServer.StartAsync(Key);
        await using var store = Store(server);
        Assert.Equal("SkMemory_docs", store.GetClassName("docs"));
        Assert.Empty(server.Requests);

        await store.SaveDocumentAsync(Doc("docs", "a", 1), [Part(0, "hello", [1, 0])]);
        await store.SaveDocumentAsync(Doc("docs", "b", 1), [Part(0, "world", [0, 1])]);
        await using (var second = Store(server))
        {
            await second.SaveDocumentAsync(Doc("docs", "c", 1), [Part(0, "again", [0, 1])]);
        }

        var creates = server.Requests.Where(r => r.Method == "POST" && r.Path == "/v1/schema").ToList();
        JsonNode schema = Assert.Single(creates).Json!;
        Assert.Equal("SkMemory_docs", (string?)schema["class"]);
        Assert.Equal("none", (string?)schema["vectorizer"]);
        Assert.Equal("cosine", (string?)schema["vectorIndexConfig"]!["distance"]);
        var props = schema["properties"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => p!);
        foreach (string name in new[] { "documentId", "index", "sourceName", "sourceUrl", "mediaType", "contentHash", "partitionNumber", "text", "sectionPath", "tags", "updatedAt" })
        {
            Assert.True(props.ContainsKey(name), name);
        }

        Assert.Equal("text[]", (string?)props["tags"]["dataType"]![0]);
        Assert.Equal("field", (string?)props["tags"]["tokenization"]);
        Assert.Equal("word", (string?)props["text"]["tokenization"]);
        Assert.True((bool)props["text"]["indexSearchable"]!);
        Assert.Equal("int", (string?)props["partitionNumber"]["dataType"]![0]);
        Assert.Equal("date", (string?)props["updatedAt"]["dataType"]![0]);
        Assert.Equal(6, server.ObjectCount("SkMemory_docs")); // 3 document records + 3 partitions
    }

    [Fact]
    public async Task Sends_bearer_key_on_every_call_and_batch_deletes_then_imports()
    {
        await using var server = await FakeWeaviateServer.StartAsync(Key);
        await using var store = Store(server, endpoint: new Uri(server.RootUri, "v1"));
        await store.SaveDocumentAsync(Doc("k", "d", 2, ("t", "x")), [Part(0, "one", [1, 0]), Part(1, "two", [0, 1])]);
        await store.SearchAsync("k", new MemoryQuery("one") { Vector = new float[] { 1, 0 } });

        Assert.All(server.Requests, r => Assert.Equal("Bearer " + Key, r.Authorization));
        var writes = server.Requests.Where(r => r.Path == "/v1/batch/objects").ToList();
        Assert.Equal(["DELETE", "POST"], writes.Select(w => w.Method));
        JsonNode delete = writes[0].Json!;
        Assert.Equal("SkMemory_k", (string?)delete["match"]!["class"]);
        Assert.Equal("documentId", (string?)delete["match"]!["where"]!["path"]![0]);
        Assert.Equal("Equal", (string?)delete["match"]!["where"]!["operator"]);
        Assert.Equal("d", (string?)delete["match"]!["where"]!["valueText"]);

        var objects = writes[1].Json!["objects"]!.AsArray();
        Assert.Equal(3, objects.Count);
        Assert.Equal([-1, 0, 1], objects.Select(o => (int)o!["properties"]!["partitionNumber"]!));
        Assert.Equal(WeaviateMemoryStore.GetObjectId("k", "d", 0).ToString("D"), (string?)objects[1]!["id"]);
        Assert.Null(objects[0]!["vector"]);
        Assert.Equal(2, objects[1]!["vector"]!.AsArray().Count);
        Assert.Contains("t=x", objects[1]!["properties"]!["tags"]!.AsArray().Select(t => (string?)t));
        Assert.Contains("__document_id=d", objects[1]!["properties"]!["tags"]!.AsArray().Select(t => (string?)t));

        string gql = (string)server.Requests.Last(r => r.Path == "/v1/graphql").Json!["query"]!;
        Assert.Contains("SkMemory_k(", gql, StringComparison.Ordinal);
        Assert.Contains("fusionType: relativeScoreFusion", gql, StringComparison.Ordinal);
        Assert.Contains("alpha: 0.5", gql, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Filters_become_where_with_containsAll_not_and_or()
    {
        await using var server = await FakeWeaviateServer.StartAsync(Key);
        await using var store = Store(server);
        await store.SaveDocumentAsync(Doc("f", "d", 1, ("a", "1")), [Part(0, "text")]);
        await store.SearchAsync("f", new MemoryQuery("text")
        {
            Mode = SearchMode.Keyword,
            Filters = [MemoryFilter.ByTag("a", "1").AndTag("b", "\"q\"").NotTag("c", "3"), MemoryFilter.ByTag("d", "4")],
        });

        string gql = (string)server.Requests.Last(r => r.Path == "/v1/graphql").Json!["query"]!;
        Assert.Contains("operator: Or", gql, StringComparison.Ordinal);
        Assert.Contains("operator: ContainsAll, valueText: [\"a=1\", \"b=\\u0022q\\u0022\"]", gql, StringComparison.Ordinal);
        Assert.Contains("operator: Not, operands: [{path: [\"tags\"], operator: ContainsAny, valueText: [\"c=3\"]}]", gql, StringComparison.Ordinal);
        Assert.Contains("operator: GreaterThanEqual, valueInt: 0", gql, StringComparison.Ordinal);
        Assert.Contains("bm25: {query: \"text\", properties: [\"text\"]}", gql, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_batch_object_throws_naming_it_and_leaves_no_partial_document()
    {
        await using var server = await FakeWeaviateServer.StartAsync(Key);
        await using var store = Store(server);
        await store.SaveDocumentAsync(Doc("b", "other", 1), [Part(0, "keep me")]);
        string badId = WeaviateMemoryStore.GetObjectId("b", "d", 2).ToString("D");
        server.ObjectFault = o => (string?)o["id"] == badId ? "property 'text' too long" : null;

        var ex = await Assert.ThrowsAsync<WeaviateBatchException>(() =>
            store.SaveDocumentAsync(Doc("b", "d", 4), [Part(0, "zero"), Part(1, "one"), Part(2, "two"), Part(3, "three")]));
        Assert.Equal(badId, ex.ObjectId);
        Assert.Equal(2, ex.PartitionNumber);
        Assert.Contains(badId, ex.Message, StringComparison.Ordinal);
        Assert.Contains("partition 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("property 'text' too long", ex.Message, StringComparison.Ordinal);

        Assert.Null(await store.GetDocumentAsync("b", "d"));
        Assert.Equal(2, server.ObjectCount("SkMemory_b")); // only "other": record + partition
        Assert.Empty(await store.SearchAsync("b", new MemoryQuery("zero one three") { Mode = SearchMode.Keyword }));
    }

    [Fact]
    public async Task Small_batches_roll_back_earlier_batches_too()
    {
        await using var server = await FakeWeaviateServer.StartAsync();
        await using var store = new WeaviateMemoryStore(new WeaviateMemoryStoreOptions { Endpoint = server.RootUri, BatchSize = 2 });
        server.ObjectFault = o => (int)o["properties"]!["partitionNumber"]! == 4 ? "boom" : null;
        var parts = Enumerable.Range(0, 6).Select(i => Part(i, "p" + i)).ToArray();
        await Assert.ThrowsAsync<WeaviateBatchException>(() => store.SaveDocumentAsync(Doc("s", "d", 6), parts));
        Assert.Equal(0, server.ObjectCount("SkMemory_s"));
        Assert.True(server.Requests.Count(r => r.Method == "POST" && r.Path == "/v1/batch/objects") >= 3);
    }

    [Fact]
    public async Task Unauthorized_names_the_setting_but_never_the_key()
    {
        await using var server = await FakeWeaviateServer.StartAsync(Key);
        await using (var noKey = Store(server, key: null))
        {
            var ex = await Assert.ThrowsAsync<WeaviateAuthenticationException>(() => noKey.ListIndexesAsync());
            Assert.Contains("WeaviateMemoryStoreOptions.ApiKey", ex.Message, StringComparison.Ordinal);
            Assert.Contains("not set", ex.Message, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        }

        await using var wrong = Store(server, key: "wrong-key-123");
        var ex2 = await Assert.ThrowsAsync<WeaviateAuthenticationException>(() => wrong.SaveDocumentAsync(Doc("x", "d", 0), []));
        Assert.Contains("WeaviateMemoryStoreOptions.ApiKey", ex2.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-key-123", ex2.ToString(), StringComparison.Ordinal);
        Assert.Contains("invalid api key", ex2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_500_and_graphql_errors_become_typed_exceptions_naming_the_operation()
    {
        await using var server = await FakeWeaviateServer.StartAsync();
        await using var store = new WeaviateMemoryStore(new WeaviateMemoryStoreOptions { Endpoint = server.RootUri });
        await store.SaveDocumentAsync(Doc("e", "d", 1), [Part(0, "text", [1, 0, 0])]);

        server.RequestFault = r => r.Path == "/v1/graphql" ? 500 : null;
        var ex = await Assert.ThrowsAsync<WeaviateException>(() => store.SearchAsync("e", new MemoryQuery("text") { Mode = SearchMode.Keyword }));
        Assert.Equal(HttpStatusCode.InternalServerError, ex.StatusCode);
        Assert.Contains("keyword search in SkMemory_e", ex.Message, StringComparison.Ordinal);
        Assert.Contains("injected fault", ex.Message, StringComparison.Ordinal);
        server.RequestFault = null;

        // A fresh store does not know the dimension, so the server's GraphQL error (HTTP 200 + errors) surfaces.
        await using var fresh = new WeaviateMemoryStore(new WeaviateMemoryStoreOptions { Endpoint = server.RootUri });
        var gql = await Assert.ThrowsAsync<WeaviateException>(() => fresh.SearchAsync("e", new MemoryQuery("") { Mode = SearchMode.Vector, Vector = new float[] { 1, 0 } }));
        Assert.Null(gql.StatusCode);
        Assert.Contains("vector search in SkMemory_e", gql.Message, StringComparison.Ordinal);
        Assert.Contains("vector lengths don't match", gql.Message, StringComparison.Ordinal);

        server.RequestFault = r => r.Method == "POST" && r.Path == "/v1/schema" ? 500 : null;
        var create = await Assert.ThrowsAsync<WeaviateException>(() => store.SaveDocumentAsync(Doc("new", "d", 0), []));
        Assert.Contains("create collection SkMemory_new", create.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_reflects_503()
    {
        await using var server = await FakeWeaviateServer.StartAsync(Key);
        await using var store = Store(server);
        Assert.True(await store.IsReadyAsync());
        server.Ready = false;
        Assert.False(await store.IsReadyAsync());
        await Assert.ThrowsAsync<WeaviateException>(() => store.WaitUntilReadyAsync(TimeSpan.FromMilliseconds(300)));
        server.Ready = true;
        await store.WaitUntilReadyAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("/v1/.well-known/ready", server.Requests[0].Path);
    }

    [Fact]
    public async Task Unreachable_server_is_a_weaviate_exception()
    {
        await using var store = new WeaviateMemoryStore(new WeaviateMemoryStoreOptions { Endpoint = new Uri("http://127.0.0.1:1/"), Timeout = TimeSpan.FromSeconds(5) });
        var ex = await Assert.ThrowsAsync<WeaviateException>(() => store.ListIndexesAsync());
        Assert.Contains("list collections", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("docs", "SkMemory_docs")]
    [InlineData("my-docs", "SkMemory_my_002Ddocs")]
    [InlineData("a_b", "SkMemory_a_005Fb")]
    [InlineData("Été 2026", "SkMemory__00C9t_00E9_00202026")]
    [InlineData("_002D", "SkMemory__005F002D")]
    public void Index_names_map_to_valid_reversible_class_names(string index, string expected)
    {
        string cls = WeaviateCollectionNames.ToClassName("SkMemory_", index);
        Assert.Equal(expected, cls);
        Assert.Matches("^[A-Z][_0-9A-Za-z]*$", cls);
        Assert.True(WeaviateCollectionNames.TryGetIndexName("SkMemory_", cls, out string back));
        Assert.Equal(index, back);
    }

    [Fact]
    public void Foreign_class_names_and_bad_prefixes_are_rejected()
    {
        Assert.False(WeaviateCollectionNames.TryGetIndexName("SkMemory_", "Article", out _));
        Assert.False(WeaviateCollectionNames.TryGetIndexName("SkMemory_", "SkMemory_a_zz", out _));
        Assert.Throws<ArgumentException>(() => WeaviateCollectionNames.ToClassName("skMemory_", "docs"));
        Assert.Throws<ArgumentException>(() => WeaviateCollectionNames.ToClassName("Sk-Memory", "docs"));
        Assert.Throws<ArgumentException>(() => new WeaviateMemoryStore(new WeaviateMemoryStoreOptions { CollectionPrefix = "lower" }));
        Assert.ThrowsAny<ArgumentException>(() => WeaviateCollectionNames.ToClassName("SkMemory_", ""));
    }

    [Fact]
    public async Task List_indexes_ignores_foreign_classes_and_fake_enforces_naming_rule()
    {
        await using var server = await FakeWeaviateServer.StartAsync();
        using var http = new HttpClient();
        using var bad = await http.PostAsync(new Uri(server.RootUri, "v1/schema"), new StringContent("{\"class\":\"lowercase\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        using var ok = await http.PostAsync(new Uri(server.RootUri, "v1/schema"), new StringContent("{\"class\":\"Article\",\"vectorizer\":\"none\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var dup = await http.PostAsync(new Uri(server.RootUri, "v1/schema"), new StringContent("{\"class\":\"Article\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, dup.StatusCode);
        Assert.Contains("already exists", await dup.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await using var store = new WeaviateMemoryStore(new WeaviateMemoryStoreOptions { Endpoint = server.RootUri });
        await store.SaveDocumentAsync(Doc("my-docs", "d", 0), []);
        Assert.Equal(["my-docs"], await store.ListIndexesAsync());
        Assert.NotNull(server.GetClass("SkMemory_my_002Ddocs"));
        await store.DeleteIndexAsync("my-docs");
        Assert.Null(server.GetClass("SkMemory_my_002Ddocs"));
        Assert.NotNull(server.GetClass("Article"));
    }

    [Fact]
    public async Task Concurrent_creation_422_is_tolerated()
    {
        await using var server = await FakeWeaviateServer.StartAsync();
        await using var a = new WeaviateMemoryStore(new WeaviateMemoryStoreOptions { Endpoint = server.RootUri });
        await using var b = new WeaviateMemoryStore(new WeaviateMemoryStoreOptions { Endpoint = server.RootUri });
        await a.SaveDocumentAsync(Doc("race", "x", 0), []);
        int gets = 0;
        server.RequestFault = r => r.Method == "GET" && r.Path == "/v1/schema/SkMemory_race" && gets++ == 0 ? 404 : null; // b thinks it is missing
        await b.SaveDocumentAsync(Doc("race", "y", 0), []);
        Assert.Contains(server.Requests, r => r.Method == "POST" && r.Path == "/v1/schema");
        Assert.Equal(2, await b.ListDocumentsAsync("race").CountAsync());
    }

    [Fact]
    public void Object_ids_are_deterministic_version5_uuids()
    {
        Guid id = WeaviateMemoryStore.GetObjectId("idx", "doc", 3);
        Assert.Equal(id, WeaviateMemoryStore.GetObjectId("idx", "doc", 3));
        Assert.NotEqual(id, WeaviateMemoryStore.GetObjectId("idx", "doc", 4));
        Assert.NotEqual(id, WeaviateMemoryStore.GetObjectId("idx2", "doc", 3));
        Assert.Equal('5', id.ToString("D")[14]);
        Assert.Contains(id.ToString("D")[19], "89ab");
    }

    [Fact]
    public async Task Reserved_or_ambiguous_tag_keys_are_rejected_before_any_write()
    {
        await using var server = await FakeWeaviateServer.StartAsync();
        await using var store = new WeaviateMemoryStore(new WeaviateMemoryStoreOptions { Endpoint = server.RootUri });
        await Assert.ThrowsAsync<ArgumentException>(() => store.SaveDocumentAsync(Doc("r", "d", 0, ("__x", "1")), []));
        await Assert.ThrowsAsync<ArgumentException>(() => store.SaveDocumentAsync(Doc("r", "d", 0, ("a=b", "1")), []));
        await Assert.ThrowsAsync<ArgumentException>(() => store.SaveDocumentAsync(Doc("r", "d", 1), [Part(1, "wrong number")]));
        Assert.Empty(server.Requests);
    }
}
