using Microsoft.Extensions.AI;
using SkAgents.Connectors.OpenAI;
using SkAgents.Testing;
using static SkAgents.Connectors.OpenAI.Tests.TestHelpers;

namespace SkAgents.Connectors.OpenAI.Tests;

public sealed class EmbeddingGeneratorTests : IAsyncLifetime
{
    private OpenAICompatibleServer _server = null!;

    public async Task InitializeAsync() => _server = await OpenAICompatibleServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Inputs_are_batched_and_results_keep_input_order()
    {
        OpenAICompatibleClientOptions options = OptionsFor(_server);
        options.EmbeddingBatchSize = 3;
        using var generator = new OpenAICompatibleEmbeddingGenerator(options);
        string[] inputs = ["alpha", "beta gamma", "delta", "epsilon zeta eta", "theta"];

        GeneratedEmbeddings<Embedding<float>> embeddings = await generator.GenerateAsync(inputs);

        Assert.Equal(5, embeddings.Count);
        IReadOnlyList<RecordedRequest> requests = _server.EmbeddingRequests;
        Assert.Equal(2, requests.Count);
        Assert.Equal(3, requests[0].Json!.Value.GetProperty("input").GetArrayLength());
        Assert.Equal(2, requests[1].Json!.Value.GetProperty("input").GetArrayLength());
        Assert.All(requests, r => Assert.Equal("test-embedding-model", r.Model));

        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(OpenAICompatibleServer.DeterministicEmbedding(inputs[i], 16), embeddings[i].Vector.ToArray());
            Assert.Equal("test-embedding-model", embeddings[i].ModelId);
        }

        // Usage is summed over the batches: 1+2+1 words, then 3+1.
        Assert.Equal(8, embeddings.Usage!.InputTokenCount);
        Assert.Equal(8, embeddings.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task Dimensions_and_model_override_are_sent()
    {
        using var generator = new OpenAICompatibleEmbeddingGenerator(OptionsFor(_server));

        GeneratedEmbeddings<Embedding<float>> embeddings = await generator.GenerateAsync(
            ["one", "two"],
            new EmbeddingGenerationOptions { Dimensions = 5, ModelId = "other-embedder" });

        Assert.All(embeddings, e => Assert.Equal(5, e.Dimensions));
        RecordedRequest request = Assert.Single(_server.Requests);
        Assert.Equal(5, request.Json!.Value.GetProperty("dimensions").GetInt32());
        Assert.Equal("other-embedder", request.Model);
        Assert.Equal("other-embedder", embeddings[0].ModelId);
    }

    [Fact]
    public async Task Default_dimensions_from_options_apply()
    {
        OpenAICompatibleClientOptions options = OptionsFor(_server);
        options.EmbeddingDimensions = 7;
        using var generator = new OpenAICompatibleEmbeddingGenerator(options);

        Embedding<float> embedding = await generator.GenerateAsync("hello");

        Assert.Equal(7, embedding.Dimensions);
        Assert.Equal(7, generator.Metadata.DefaultModelDimensions);
    }

    [Fact]
    public async Task Scripted_vectors_are_returned()
    {
        _server.EmbeddingsHandler = _ => ScriptedResponse.Embeddings([1f, 0f], [0f, 1f]);
        using var generator = new OpenAICompatibleEmbeddingGenerator(OptionsFor(_server));

        GeneratedEmbeddings<Embedding<float>> embeddings = await generator.GenerateAsync(["a", "b"]);

        Assert.Equal([1f, 0f], embeddings[0].Vector.ToArray());
        Assert.Equal([0f, 1f], embeddings[1].Vector.ToArray());
    }

    [Fact]
    public async Task Wrong_number_of_vectors_is_a_format_error()
    {
        _server.EmbeddingsHandler = _ => ScriptedResponse.Embeddings([1f, 0f]);
        using var generator = new OpenAICompatibleEmbeddingGenerator(OptionsFor(_server));

        var ex = await Assert.ThrowsAsync<ModelResponseFormatException>(() => generator.GenerateAsync(["a", "b"]));

        Assert.Contains("1 embeddings for 2 inputs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Empty_input_makes_no_request()
    {
        using var generator = new OpenAICompatibleEmbeddingGenerator(OptionsFor(_server));

        GeneratedEmbeddings<Embedding<float>> embeddings = await generator.GenerateAsync([]);

        Assert.Empty(embeddings);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task Errors_are_mapped_and_retried_like_chat()
    {
        int calls = 0;
        _server.EmbeddingsHandler = request => ++calls == 1
            ? ScriptedResponse.Error(503, "warming up", headers: new Dictionary<string, string> { ["Retry-After"] = "0" })
            : ScriptedResponse.Error(401, "Invalid API key", code: "invalid_api_key");
        using var generator = new OpenAICompatibleEmbeddingGenerator(OptionsFor(_server, apiKey: "sk-emb-secret-99999"));

        var ex = await Assert.ThrowsAsync<ModelAuthenticationException>(() => generator.GenerateAsync(["a"]));

        Assert.Equal(2, calls);
        Assert.Equal(401, ex.StatusCode);
        Assert.DoesNotContain("sk-emb-secret-99999", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metadata_and_services_are_exposed()
    {
        using var generator = new OpenAICompatibleEmbeddingGenerator(OptionsFor(_server, provider: OpenAICompatibleProvider.LmStudio));

        var metadata = Assert.IsType<EmbeddingGeneratorMetadata>(generator.GetService(typeof(EmbeddingGeneratorMetadata)));
        Assert.Equal("lmstudio", metadata.ProviderName);
        Assert.Equal("test-embedding-model", metadata.DefaultModelId);
        Assert.IsType<global::OpenAI.Embeddings.EmbeddingClient>(generator.GetService(typeof(global::OpenAI.Embeddings.EmbeddingClient)));
        await Task.CompletedTask;
    }

    [Fact]
    public void Missing_embedding_model_is_a_configuration_error()
    {
        OpenAICompatibleClientOptions options = OptionsFor(_server);
        options.EmbeddingModel = null;

        var ex = Assert.Throws<ModelConfigurationException>(() => new OpenAICompatibleEmbeddingGenerator(options));

        Assert.Equal("EmbeddingModel", ex.SettingName);
    }
}
