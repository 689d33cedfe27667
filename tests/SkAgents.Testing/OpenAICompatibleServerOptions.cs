namespace SkAgents.Testing;

/// <summary>Settings for <see cref="OpenAICompatibleServer"/>.</summary>
public sealed class OpenAICompatibleServerOptions
{
    /// <summary>
    /// Gets or sets the API key the server requires, as <c>Authorization: Bearer</c> or the <c>api-key</c> header;
    /// <see langword="null"/> (default) accepts any request. A mismatch is answered with 401 and code <c>invalid_api_key</c>.
    /// </summary>
    public string? RequiredApiKey { get; set; }

    /// <summary>Gets or sets the chat model the server serves (listed by <c>GET /v1/models</c>). Default <c>test-model</c>.</summary>
    public string Model { get; set; } = "test-model";

    /// <summary>Gets or sets the embedding model the server serves. Default <c>test-embedding-model</c>.</summary>
    public string EmbeddingModel { get; set; } = "test-embedding-model";

    /// <summary>Gets or sets the vector length of the default embeddings when the request gives no <c>dimensions</c>. Default 16.</summary>
    public int EmbeddingDimensions { get; set; } = 16;

    /// <summary>
    /// Gets or sets whether requests for a model other than <see cref="Model"/> / <see cref="EmbeddingModel"/> (or
    /// <see cref="AdditionalModels"/>) are answered with 404 and code <c>model_not_found</c>, as OpenAI does. Default <see langword="false"/>.
    /// </summary>
    public bool RejectUnknownModels { get; set; }

    /// <summary>Gets more model ids the server accepts and lists.</summary>
    public IList<string> AdditionalModels { get; } = [];

    /// <summary>
    /// Gets or sets the answer when the queue is empty and no <see cref="OpenAICompatibleServer.ChatHandler"/> is set.
    /// Default: a text reply echoing the last user message (<c>"Echo: …"</c>).
    /// </summary>
    public Func<RecordedRequest, ScriptedResponse>? DefaultChatHandler { get; set; }
}
