namespace SkAgents.Memory.Weaviate;

/// <summary>Settings for <see cref="WeaviateMemoryStore"/>.</summary>
public sealed class WeaviateMemoryStoreOptions
{
    /// <summary>Gets or sets the server root, for example <c>http://localhost:8080/</c> (a trailing <c>/v1</c> is tolerated).</summary>
    public Uri Endpoint { get; set; } = new("http://localhost:8080/");

    /// <summary>Gets or sets the API key, sent as <c>Authorization: Bearer &lt;key&gt;</c>; null for anonymous access.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Gets or sets the collection (class) name prefix. It must start with an uppercase ASCII letter and contain only
    /// ASCII letters, digits and underscores. Default <c>SkMemory_</c>.
    /// </summary>
    public string CollectionPrefix { get; set; } = "SkMemory_";

    /// <summary>Gets or sets the timeout of each HTTP call. Default 30 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how many objects go in one batch import request. Default 100.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Gets or sets the hybrid search alpha (0 = pure BM25, 1 = pure vector). Default 0.5.</summary>
    public double HybridAlpha { get; set; } = 0.5;

    /// <summary>Gets or sets the GraphQL <c>autocut</c> value for searches; 0 (default) disables it.</summary>
    public int Autocut { get; set; }
}
