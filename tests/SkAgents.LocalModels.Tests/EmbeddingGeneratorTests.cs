using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using SkAgents.LocalModels.Embeddings;
using SkAgents.LocalModels.GenAI;
using SkAgents.ModelFactory;
using SkAgents.ModelFactory.Models;
using SkAgents.OnnxRuntime;
using SkAgents.Tokenizers;

namespace SkAgents.LocalModels.Tests;

public class EmbeddingGeneratorTests
{
    private const float Tolerance = 1e-5f;

    private static readonly string[] Texts =
    [
        "The quick brown fox jumps!",
        "hello world",
        "A cat sat on the mat.",
        "Unbelievable embedding text?",
        "dog",
        "the lazy dog jumped over a brown cat, hello!",
    ];

    [Fact]
    public async Task Embeddings_equal_an_independent_reference_with_mean_pooling_and_normalization()
    {
        var (folder, weights) = EmbeddingFolders.Create();
        using var generator = OnnxEmbeddingGenerator.Load(folder);

        Assert.Equal(PoolingModes.Mean, generator.Pooling);
        Assert.Equal(PoolingSource.PoolingConfig, generator.PoolingSource);
        Assert.True(generator.Normalize);
        Assert.Equal(8, generator.Dimensions);
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], generator.InputNames);
        Assert.Equal("last_hidden_state", generator.OutputName);

        var result = await generator.GenerateAsync(Texts);

        Assert.Equal(Texts.Length, result.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            var expected = EmbeddingReference.Embed(weights, Ids(generator, Texts[i]), ["mean"], normalize: true);
            AssertClose(expected, result[i].Vector.Span);
            Assert.Equal(1f, TensorPrimitives.Norm(result[i].Vector.Span), 5);
            Assert.Equal("tiny-bert", result[i].ModelId);
        }
    }

    [Fact]
    public void Text_is_tokenized_with_the_wordpiece_tokenizer_and_bert_template()
    {
        var (folder, _) = EmbeddingFolders.Create();
        using var generator = OnnxEmbeddingGenerator.Load(folder);

        // [CLS] the quick brown fox jump ##s ! [SEP]
        Assert.Equal([2, 5, 6, 7, 8, 9, 10, 27, 3], Ids(generator, "The quick brown fox jumps!"));
    }

    [Theory]
    [InlineData("cls")]
    [InlineData("max")]
    [InlineData("mean_sqrt_len")]
    [InlineData("weightedmean")]
    [InlineData("lasttoken")]
    [InlineData("cls", "mean")]
    [InlineData("max", "mean", "lasttoken")]
    public async Task Each_pooling_mode_from_the_pooling_config_matches_the_reference(params string[] modes)
    {
        var (folder, weights) = EmbeddingFolders.Create(new BertEmbedderSpec { Pooling = modes, Normalize = false });
        using var generator = OnnxEmbeddingGenerator.Load(folder);

        Assert.Equal(8 * modes.Length, generator.Dimensions);
        Assert.False(generator.Normalize);
        var result = await generator.GenerateAsync(Texts);
        for (int i = 0; i < Texts.Length; i++)
        {
            AssertClose(EmbeddingReference.Embed(weights, Ids(generator, Texts[i]), modes, normalize: false), result[i].Vector.Span);
        }
    }

    [Fact]
    public async Task Cls_and_mean_pooling_give_different_embeddings()
    {
        var (meanFolder, weights) = EmbeddingFolders.Create(new BertEmbedderSpec { Pooling = ["mean"] });
        var (clsFolder, _) = EmbeddingFolders.Create(new BertEmbedderSpec { Pooling = ["cls"] });
        using var mean = OnnxEmbeddingGenerator.Load(meanFolder);
        using var cls = OnnxEmbeddingGenerator.Load(clsFolder);

        var a = (await mean.GenerateAsync(["hello world"])).Single().Vector.ToArray();
        var b = (await cls.GenerateAsync(["hello world"])).Single().Vector.ToArray();

        Assert.Equal(PoolingModes.Cls, cls.Pooling);
        AssertClose(EmbeddingReference.Embed(weights, Ids(cls, "hello world"), ["cls"], normalize: true), b);
        Assert.True(TensorPrimitives.Distance(a, b) > 0.1f);
    }

    [Fact]
    public async Task Normalization_follows_modules_json_and_can_be_forced()
    {
        var (folder, weights) = EmbeddingFolders.Create(new BertEmbedderSpec { Normalize = false });
        using var plain = OnnxEmbeddingGenerator.Load(folder);
        using var forced = OnnxEmbeddingGenerator.Load(folder, new OnnxEmbeddingOptions { Normalize = true });
        var (normalizedFolder, _) = EmbeddingFolders.Create(new BertEmbedderSpec { Normalize = true });
        using var disabled = OnnxEmbeddingGenerator.Load(normalizedFolder, new OnnxEmbeddingOptions { Normalize = false });

        var raw = (await plain.GenerateAsync(["A cat sat on the mat."])).Single().Vector.ToArray();
        var unit = (await forced.GenerateAsync(["A cat sat on the mat."])).Single().Vector.ToArray();

        Assert.False(plain.Normalize);
        Assert.True(forced.Normalize);
        Assert.False(disabled.Normalize);
        AssertClose(EmbeddingReference.Embed(weights, Ids(plain, "A cat sat on the mat."), ["mean"], normalize: false), raw);
        Assert.NotEqual(1f, TensorPrimitives.Norm(raw), 3);
        Assert.Equal(1f, TensorPrimitives.Norm(unit), 5);
        var rescaled = new float[raw.Length];
        TensorPrimitives.Divide(raw, TensorPrimitives.Norm(raw), rescaled);
        AssertClose(rescaled, unit);
    }

    [Fact]
    public async Task Without_pooling_config_mean_pooling_is_the_default_and_says_so()
    {
        var (folder, weights) = EmbeddingFolders.Create(new BertEmbedderSpec { Pooling = null, WriteModules = false });
        using var generator = OnnxEmbeddingGenerator.Load(folder);

        Assert.Equal(PoolingModes.Mean, generator.Pooling);
        Assert.Equal(PoolingSource.Default, generator.PoolingSource);
        Assert.False(generator.Normalize);
        var vector = (await generator.GenerateAsync(["hello world"])).Single().Vector.ToArray();
        AssertClose(EmbeddingReference.Embed(weights, Ids(generator, "hello world"), ["mean"], normalize: false), vector);
    }

    [Fact]
    public async Task Options_override_the_pooling_config()
    {
        var (folder, weights) = EmbeddingFolders.Create(new BertEmbedderSpec { Pooling = ["mean"] });
        using var generator = OnnxEmbeddingGenerator.Load(folder, new OnnxEmbeddingOptions { Pooling = PoolingModes.Cls | PoolingModes.Max });

        Assert.Equal(PoolingSource.Options, generator.PoolingSource);
        Assert.Equal(16, generator.Dimensions);
        var vector = (await generator.GenerateAsync(["hello world"])).Single().Vector.ToArray();
        AssertClose(EmbeddingReference.Embed(weights, Ids(generator, "hello world"), ["cls", "max"], normalize: true), vector);
    }

    [Fact]
    public async Task Padding_does_not_change_an_embedding()
    {
        var (folder, _) = EmbeddingFolders.Create(new BertEmbedderSpec { Pooling = ["mean", "max", "lasttoken"] });
        using var generator = OnnxEmbeddingGenerator.Load(folder);
        const string Short = "dog";
        const string Long = "the quick brown fox jumps over the lazy dog, hello world!";

        var alone = (await generator.GenerateAsync([Short])).Single().Vector.ToArray();
        var batched = await generator.GenerateAsync([Short, Long, "hello"]);

        Assert.True(Ids(generator, Long).Length > Ids(generator, Short).Length + 5);
        AssertClose(alone, batched[0].Vector.Span, 1e-6f);
    }

    [Fact]
    public async Task Long_text_is_truncated_at_max_seq_length()
    {
        var (folder, weights) = EmbeddingFolders.Create(new BertEmbedderSpec { MaxSeqLength = 6 });
        using var generator = OnnxEmbeddingGenerator.Load(folder);

        Assert.Equal(6, generator.MaxSequenceLength);
        var result = await generator.GenerateAsync(["the quick brown fox jumps over the lazy dog", "the quick brown fox"]);

        Assert.Equal([2, 5, 6, 7, 8, 3], Ids(generator, "the quick brown fox jumps over the lazy dog"));
        AssertClose(result[1].Vector.Span, result[0].Vector.Span, 1e-6f);
        AssertClose(EmbeddingReference.Embed(weights, [2, 5, 6, 7, 8, 3], ["mean"], normalize: true), result[0].Vector.Span);
        Assert.Equal(12, result.Usage!.InputTokenCount);
    }

    [Fact]
    public void Max_length_comes_from_options_then_sentence_bert_config_then_tokenizer_and_position_limits()
    {
        var (withSbert, _) = EmbeddingFolders.Create(new BertEmbedderSpec { MaxSeqLength = 7, ModelMaxLength = 9 });
        var (tokenizerLimit, _) = EmbeddingFolders.Create(new BertEmbedderSpec { ModelMaxLength = 9, MaxPositions = 32 });
        var (positionLimit, _) = EmbeddingFolders.Create(new BertEmbedderSpec { ModelMaxLength = (long)1e18, MaxPositions = 12 });

        using (var g = OnnxEmbeddingGenerator.Load(withSbert, new OnnxEmbeddingOptions { MaxSequenceLength = 5 }))
        {
            Assert.Equal(5, g.MaxSequenceLength);
        }

        using (var g = OnnxEmbeddingGenerator.Load(withSbert))
        {
            Assert.Equal(7, g.MaxSequenceLength);
        }

        using (var g = OnnxEmbeddingGenerator.Load(tokenizerLimit))
        {
            Assert.Equal(9, g.MaxSequenceLength);
        }

        using (var g = OnnxEmbeddingGenerator.Load(positionLimit))
        {
            Assert.Equal(12, g.MaxSequenceLength);
        }
    }

    [Fact]
    public async Task Several_internal_batches_keep_the_input_order()
    {
        var (folder, weights) = EmbeddingFolders.Create();
        using var generator = OnnxEmbeddingGenerator.Load(folder, new OnnxEmbeddingOptions { BatchSize = 2 });
        string[] texts = [.. Texts, "hello", "the quick brown fox jumps over the lazy dog", "mat"];

        var result = await generator.GenerateAsync(texts);

        Assert.Equal(2, generator.BatchSize);
        Assert.Equal(texts.Length, result.Count);
        long tokens = 0;
        for (int i = 0; i < texts.Length; i++)
        {
            var ids = Ids(generator, texts[i]);
            tokens += ids.Length;
            AssertClose(EmbeddingReference.Embed(weights, ids, ["mean"], normalize: true), result[i].Vector.Span);
        }

        Assert.Equal(tokens, result.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task An_empty_input_list_gives_no_embeddings()
    {
        var (folder, _) = EmbeddingFolders.Create();
        using var generator = OnnxEmbeddingGenerator.Load(folder);

        var result = await generator.GenerateAsync([]);

        Assert.Empty(result);
        Assert.Equal(0, result.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task An_empty_text_embeds_the_special_tokens()
    {
        var (folder, weights) = EmbeddingFolders.Create();
        using var generator = OnnxEmbeddingGenerator.Load(folder);

        var vector = (await generator.GenerateAsync([string.Empty, "hello"]))[0].Vector.ToArray();

        AssertClose(EmbeddingReference.Embed(weights, [2, 3], ["mean"], normalize: true), vector);
    }

    [Fact]
    public async Task A_canceled_token_stops_before_running()
    {
        var (folder, _) = EmbeddingFolders.Create();
        using var generator = OnnxEmbeddingGenerator.Load(folder);
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(Texts, cancellationToken: cts.Token));
    }

    [Fact]
    public async Task Cancellation_terminates_a_run_in_progress()
    {
        var (folder, _) = EmbeddingFolders.Create(new BertEmbedderSpec { SlowLayers = 400 });
        using var generator = OnnxEmbeddingGenerator.Load(folder, new OnnxEmbeddingOptions { BatchSize = 64 });
        string[] texts = [.. Enumerable.Repeat("the quick brown fox jumps over the lazy dog, hello world!", 64)];
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.Run(() => generator.GenerateAsync(texts, cancellationToken: cts.Token)));

        Assert.Equal(cts.Token, error.CancellationToken);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Concurrent_calls_give_the_same_results_as_sequential_ones()
    {
        var (folder, weights) = EmbeddingFolders.Create(new BertEmbedderSpec { Pooling = ["cls", "mean"] });
        using var generator = OnnxEmbeddingGenerator.Load(folder, new OnnxEmbeddingOptions { BatchSize = 3 });
        var expected = Texts.Select(t => EmbeddingReference.Embed(weights, Ids(generator, t), ["cls", "mean"], normalize: true)).ToArray();

        var tasks = Enumerable.Range(0, 16).Select(n => Task.Run(async () =>
        {
            var texts = Texts.Skip(n % Texts.Length).Concat(Texts.Take(n % Texts.Length)).ToArray();
            return (Shift: n % Texts.Length, Result: await generator.GenerateAsync(texts));
        })).ToArray();

        foreach (var (shift, result) in await Task.WhenAll(tasks))
        {
            for (int i = 0; i < Texts.Length; i++)
            {
                AssertClose(expected[(i + shift) % Texts.Length], result[i].Vector.Span);
            }
        }
    }

    [Fact]
    public void Metadata_names_the_provider_model_and_dimensions()
    {
        var (folder, _) = EmbeddingFolders.Create(name: "all-MiniLM-tiny");
        using var generator = OnnxEmbeddingGenerator.Load(folder);
        IEmbeddingGenerator<string, Embedding<float>> client = generator;

        var metadata = client.GetService<EmbeddingGeneratorMetadata>()!;

        Assert.Equal("onnxruntime", metadata.ProviderName);
        Assert.Equal("all-MiniLM-tiny", metadata.DefaultModelId);
        Assert.Equal(8, metadata.DefaultModelDimensions);
        Assert.Same(generator, client.GetService<OnnxEmbeddingGenerator>());
        Assert.NotNull(client.GetService<Tokenizer>());
        Assert.NotNull(client.GetService<InferenceSession>());
        Assert.Null(client.GetService<EmbeddingGeneratorMetadata>("key"));

        using var renamed = OnnxEmbeddingGenerator.Load(folder, new OnnxEmbeddingOptions { ModelId = "mini" });
        Assert.Equal("mini", renamed.Metadata.DefaultModelId);
    }

    [Fact]
    public async Task Requested_dimensions_truncate_and_renormalize()
    {
        var (folder, _) = EmbeddingFolders.Create();
        using var generator = OnnxEmbeddingGenerator.Load(folder);

        var full = (await generator.GenerateAsync(["hello world"])).Single().Vector.ToArray();
        var shortened = (await generator.GenerateAsync(["hello world"], new EmbeddingGenerationOptions { Dimensions = 4 })).Single().Vector.ToArray();

        Assert.Equal(4, shortened.Length);
        Assert.Equal(1f, TensorPrimitives.Norm(shortened), 5);
        var expected = full[..4];
        TensorPrimitives.Divide(expected, TensorPrimitives.Norm(expected), expected);
        AssertClose(expected, shortened);
        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(["x"], new EmbeddingGenerationOptions { Dimensions = 9 }));
    }

    [Fact]
    public async Task Model_in_onnx_subfolder_without_token_type_ids_and_with_pooler_output()
    {
        var (folder, weights) = EmbeddingFolders.Create(new BertEmbedderSpec { ModelInOnnxFolder = true, TokenTypeIds = false, PoolerOutput = true });
        using var generator = OnnxEmbeddingGenerator.Load(folder);

        Assert.EndsWith(Path.Combine("onnx", "model.onnx"), generator.ModelPath, StringComparison.Ordinal);
        Assert.Equal(["input_ids", "attention_mask"], generator.InputNames);
        Assert.Equal("last_hidden_state", generator.OutputName);
        var vector = (await generator.GenerateAsync(["hello world"])).Single().Vector.ToArray();
        AssertClose(EmbeddingReference.Embed(weights, Ids(generator, "hello world"), ["mean"], normalize: true, tokenTypes: false), vector);
    }

    [Fact]
    public async Task Int32_inputs_and_a_position_ids_input_are_fed()
    {
        var (folder, weights) = EmbeddingFolders.Create(new BertEmbedderSpec { Int32Inputs = true, PositionIdsInput = true });
        using var generator = OnnxEmbeddingGenerator.Load(folder, new OnnxEmbeddingOptions { BatchSize = 4 });

        Assert.Equal(["input_ids", "attention_mask", "token_type_ids", "position_ids"], generator.InputNames);
        var result = await generator.GenerateAsync(Texts);
        for (int i = 0; i < Texts.Length; i++)
        {
            AssertClose(EmbeddingReference.Embed(weights, Ids(generator, Texts[i]), ["mean"], normalize: true), result[i].Vector.Span);
        }
    }

    [Theory]
    [InlineData(1, 16)]
    [InlineData(4, 12)]
    public async Task Fixed_input_shapes_are_padded_to(int batch, int sequence)
    {
        var (folder, weights) = EmbeddingFolders.Create(new BertEmbedderSpec { FixedBatchSize = batch, FixedSequenceLength = sequence, Pooling = ["mean", "lasttoken"] });
        using var generator = OnnxEmbeddingGenerator.Load(folder, new OnnxEmbeddingOptions { BatchSize = 32 });

        Assert.Equal(batch, generator.BatchSize);
        Assert.Equal(sequence, generator.MaxSequenceLength);
        string[] texts = [.. Texts, "the quick brown fox jumps over the lazy dog, the quick brown fox jumps over the lazy dog"];
        var result = await generator.GenerateAsync(texts);

        Assert.Equal(texts.Length, result.Count);
        for (int i = 0; i < texts.Length; i++)
        {
            var ids = Ids(generator, texts[i]);
            Assert.True(ids.Length <= sequence);
            AssertClose(EmbeddingReference.Embed(weights, ids, ["mean", "lasttoken"], normalize: true), result[i].Vector.Span);
        }
    }

    [Fact]
    public async Task A_sentence_embedding_output_is_used_as_is()
    {
        var (folder, weights) = EmbeddingFolders.Create(new BertEmbedderSpec { SentenceEmbeddingOutput = true, Pooling = ["cls"] });
        using var generator = OnnxEmbeddingGenerator.Load(folder);

        Assert.Equal("sentence_embedding", generator.OutputName);
        Assert.Equal(PoolingSource.ModelOutput, generator.PoolingSource);
        Assert.Equal(PoolingModes.None, generator.Pooling);
        var result = await generator.GenerateAsync(["dog", "hello world, the cat sat"]);

        // The graph mean-pools (ignoring the cls config); modules.json still asks for Normalize.
        AssertClose(EmbeddingReference.Embed(weights, Ids(generator, "dog"), ["mean"], normalize: true), result[0].Vector.Span);
        AssertClose(EmbeddingReference.Embed(weights, Ids(generator, "hello world, the cat sat"), ["mean"], normalize: true), result[1].Vector.Span);
    }

    [Fact]
    public async Task A_token_embeddings_output_is_recognized_and_an_output_can_be_chosen()
    {
        var (folder, weights) = EmbeddingFolders.Create(new BertEmbedderSpec { TokenOutputName = "token_embeddings", SentenceEmbeddingOutput = true });
        using var generator = OnnxEmbeddingGenerator.Load(folder, new OnnxEmbeddingOptions { OutputName = "token_embeddings", Pooling = PoolingModes.Max });

        Assert.Equal("token_embeddings", generator.OutputName);
        var vector = (await generator.GenerateAsync(["hello world"])).Single().Vector.ToArray();
        AssertClose(EmbeddingReference.Embed(weights, Ids(generator, "hello world"), ["max"], normalize: true), vector);
    }

    [Fact]
    public async Task An_output_without_declared_shape_is_probed()
    {
        string folder = EmbeddingFolders.NewFolder();
        BertEmbedderFactory.WriteTokenizer(folder);
        var table = Enumerable.Range(0, BertEmbedderFactory.Vocabulary.Count * 3).Select(i => (float)i).ToArray();
        var model = new OnnxModelBuilder();
        var g = model.Graph;
        g.Input("input_ids", OnnxDataType.Int64, "batch", "sequence");
        string x = g.Gather(g.Initializer("table", table, BertEmbedderFactory.Vocabulary.Count, 3), "input_ids");
        g.Reshape(x, g.Op("Shape", [x]).Output, "last_hidden_state"); // ORT cannot infer the dimensions of this output
        g.OutputWithoutShape("last_hidden_state", OnnxDataType.Float);
        model.Save(Path.Combine(folder, "model.onnx"));
        using (var session = new InferenceSession(Path.Combine(folder, "model.onnx")))
        {
            Assert.True(session.OutputMetadata[0].Shape.Count == 0 || session.OutputMetadata[0].Shape[^1] < 0, session.OutputMetadata[0].ToString());
        }

        using var generator = OnnxEmbeddingGenerator.Load(folder, new OnnxEmbeddingOptions { Pooling = PoolingModes.Cls | PoolingModes.LastToken });

        Assert.Equal(3, generator.HiddenSize);
        Assert.Equal(6, generator.Dimensions);
        var vector = (await generator.GenerateAsync(["hello"])).Single().Vector.ToArray();
        Assert.Equal([6, 7, 8, 9, 10, 11], vector); // rows of [CLS]=2 and [SEP]=3
    }

    [Fact]
    public void Missing_folder_model_or_tokenizer_are_reported()
    {
        string missing = Path.Combine(EmbeddingFolders.NewFolder(), "nope");
        Assert.Contains("does not exist", Assert.Throws<ModelFolderException>(() => OnnxEmbeddingGenerator.Load(missing)).Message, StringComparison.Ordinal);

        var (noModel, _) = EmbeddingFolders.Create();
        File.Move(Path.Combine(noModel, "model.onnx"), Path.Combine(noModel, "model_quantized.onnx"));
        var error = Assert.Throws<ModelFolderException>(() => OnnxEmbeddingGenerator.Load(noModel));
        Assert.Contains("no model.onnx", error.Message, StringComparison.Ordinal);
        Assert.Contains("model_quantized.onnx", error.Message, StringComparison.Ordinal);
        using (var chosen = OnnxEmbeddingGenerator.Load(noModel, new OnnxEmbeddingOptions { ModelFile = "model_quantized.onnx" }))
        {
            Assert.Equal(8, chosen.Dimensions);
        }

        var (noTokenizer, _) = EmbeddingFolders.Create();
        File.Delete(Path.Combine(noTokenizer, "tokenizer.json"));
        Assert.Contains("tokenizer.json", Assert.Throws<ModelFolderException>(() => OnnxEmbeddingGenerator.Load(noTokenizer)).Message, StringComparison.Ordinal);

        var (badModel, _) = EmbeddingFolders.Create();
        File.WriteAllText(Path.Combine(badModel, "model.onnx"), "not a model");
        var loadError = Assert.Throws<ModelFolderException>(() => OnnxEmbeddingGenerator.Load(badModel));
        Assert.IsType<OnnxRuntimeException>(loadError.InnerException);
    }

    [Fact]
    public void Malformed_or_unsupported_configs_are_reported()
    {
        var (badJson, _) = EmbeddingFolders.Create();
        File.WriteAllText(Path.Combine(badJson, "1_Pooling", "config.json"), "{ not json");
        Assert.Contains("1_Pooling", Assert.Throws<ModelFolderException>(() => OnnxEmbeddingGenerator.Load(badJson)).Message, StringComparison.Ordinal);

        var (noMode, _) = EmbeddingFolders.Create(new BertEmbedderSpec { Pooling = [] });
        Assert.Contains("no pooling mode", Assert.Throws<ModelFolderException>(() => OnnxEmbeddingGenerator.Load(noMode)).Message, StringComparison.Ordinal);

        var (dense, _) = EmbeddingFolders.Create();
        File.WriteAllText(Path.Combine(dense, "modules.json"), """
            [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
             {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
             {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}]
            """);
        Assert.Contains("2_Dense", Assert.Throws<ModelFolderException>(() => OnnxEmbeddingGenerator.Load(dense)).Message, StringComparison.Ordinal);

        var (wrongDimension, _) = EmbeddingFolders.Create();
        string poolingConfig = Path.Combine(wrongDimension, "1_Pooling", "config.json");
        File.WriteAllText(poolingConfig, File.ReadAllText(poolingConfig).Replace("\"word_embedding_dimension\": 8", "\"word_embedding_dimension\": 384", StringComparison.Ordinal));
        Assert.Contains("384", Assert.Throws<ModelFolderException>(() => OnnxEmbeddingGenerator.Load(wrongDimension)).Message, StringComparison.Ordinal);

        var (folder, _) = EmbeddingFolders.Create();
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxEmbeddingGenerator.Load(folder, new OnnxEmbeddingOptions { BatchSize = 0 }));
        Assert.Throws<ArgumentException>(() => OnnxEmbeddingGenerator.Load(folder, new OnnxEmbeddingOptions { Pooling = PoolingModes.None }));
        Assert.Contains("no output 'pooled'", Assert.Throws<ModelFolderException>(() => OnnxEmbeddingGenerator.Load(folder, new OnnxEmbeddingOptions { OutputName = "pooled" })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unexpected_inputs_and_outputs_are_reported()
    {
        var unexpectedInput = WriteCustomModel(g =>
        {
            g.Input("input_ids", OnnxDataType.Int64, "batch", "sequence");
            g.Input("pixel_values", OnnxDataType.Float, "batch", 3);
            g.Gather(Table(g), "input_ids", output: "last_hidden_state");
            g.Output("last_hidden_state", OnnxDataType.Float, "batch", "sequence", 3);
        });
        Assert.Contains("pixel_values", Assert.Throws<ModelFolderException>(() => OnnxEmbeddingGenerator.Load(unexpectedInput)).Message, StringComparison.Ordinal);

        var wrongRank = WriteCustomModel(g =>
        {
            g.Input("input_ids", OnnxDataType.Int64, "batch", "sequence");
            g.Unsqueeze(g.Gather(Table(g), "input_ids"), [0], "last_hidden_state");
            g.Output("last_hidden_state", OnnxDataType.Float, 1, "batch", "sequence", 3);
        });
        Assert.Contains("rank 4", Assert.Throws<ModelFolderException>(() => OnnxEmbeddingGenerator.Load(wrongRank)).Message, StringComparison.Ordinal);

        var ambiguous = WriteCustomModel(g =>
        {
            g.Input("input_ids", OnnxDataType.Int64, "batch", "sequence");
            string x = g.Gather(Table(g), "input_ids", output: "a");
            g.Identity(x, "b");
            g.Output("a", OnnxDataType.Float, "batch", "sequence", 3);
            g.Output("b", OnnxDataType.Float, "batch", "sequence", 3);
        });
        Assert.Contains("OutputName", Assert.Throws<ModelFolderException>(() => OnnxEmbeddingGenerator.Load(ambiguous)).Message, StringComparison.Ordinal);

        var noIds = WriteCustomModel(g =>
        {
            g.Input("attention_mask", OnnxDataType.Int64, "batch", "sequence");
            g.Gather(Table(g), "attention_mask", output: "last_hidden_state");
            g.Output("last_hidden_state", OnnxDataType.Float, "batch", "sequence", 3);
        });
        Assert.Contains("no 'input_ids'", Assert.Throws<ModelFolderException>(() => OnnxEmbeddingGenerator.Load(noIds)).Message, StringComparison.Ordinal);

        var intOutput = WriteCustomModel(g =>
        {
            g.Input("input_ids", OnnxDataType.Int64, "batch", "sequence");
            g.Identity("input_ids", "last_hidden_state");
            g.Output("last_hidden_state", OnnxDataType.Int64, "batch", "sequence");
        });
        Assert.Contains("float32", Assert.Throws<ModelFolderException>(() => OnnxEmbeddingGenerator.Load(intOutput)).Message, StringComparison.Ordinal);

        static string Table(OnnxGraphBuilder g) =>
            g.Initializer("table", Enumerable.Range(0, BertEmbedderFactory.Vocabulary.Count * 3).Select(i => (float)i).ToArray(), BertEmbedderFactory.Vocabulary.Count, 3);
    }

    [Fact]
    public async Task Disposed_generator_throws()
    {
        var (folder, _) = EmbeddingFolders.Create();
        var generator = OnnxEmbeddingGenerator.Load(folder);
        generator.Dispose();
        generator.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => generator.GenerateAsync(["hello"]));
    }

    private static string WriteCustomModel(Action<OnnxGraphBuilder> build)
    {
        string folder = EmbeddingFolders.NewFolder();
        BertEmbedderFactory.WriteTokenizer(folder);
        var model = new OnnxModelBuilder();
        build(model.Graph);
        model.Save(Path.Combine(folder, "model.onnx"));
        return folder;
    }

    private static int[] Ids(OnnxEmbeddingGenerator generator, string text) =>
        [.. generator.Tokenizer.EncodeTruncated(text, generator.MaxSequenceLength, addSpecialTokens: true)];

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance = Tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}] expected {expected[i]} but got {actual[i]} (tolerance {tolerance})");
        }
    }
}
