using SkAgents.OnnxRuntime;

namespace SkAgents.LocalModels.Embeddings;

/// <summary>Options for <see cref="OnnxEmbeddingGenerator.Load(string, OnnxEmbeddingOptions?)"/>; every setting defaults to what the folder says.</summary>
public sealed class OnnxEmbeddingOptions
{
    /// <summary>The default number of texts per model run.</summary>
    public const int DefaultBatchSize = 32;

    /// <summary>
    /// Gets or sets the ONNX file, relative to the folder (or absolute). Null looks for <c>model.onnx</c>, then
    /// <c>onnx/model.onnx</c>.
    /// </summary>
    public string? ModelFile { get; set; }

    /// <summary>Gets or sets the number of texts per model run (texts of similar length are batched together). Default 32.</summary>
    public int BatchSize { get; set; } = DefaultBatchSize;

    /// <summary>
    /// Gets or sets the most tokens per text, special tokens included; longer texts are truncated. Null uses
    /// <c>sentence_bert_config.json</c> <c>max_seq_length</c>, else the smaller of <c>tokenizer_config.json</c>
    /// <c>model_max_length</c> and <c>config.json</c> <c>max_position_embeddings</c>.
    /// </summary>
    public int? MaxSequenceLength { get; set; }

    /// <summary>
    /// Gets or sets the pooling, overriding the folder's pooling configuration. Null: from the folder (mean when it has
    /// none). Ignored when the model already outputs sentence vectors.
    /// </summary>
    public PoolingModes? Pooling { get; set; }

    /// <summary>
    /// Gets or sets whether embeddings are scaled to unit length. Null: only when <c>modules.json</c> lists a
    /// <c>Normalize</c> module; true or false forces it on or off.
    /// </summary>
    public bool? Normalize { get; set; }

    /// <summary>Gets or sets the model output to read. Null picks <c>sentence_embedding</c>, <c>last_hidden_state</c>, <c>token_embeddings</c> or the only output.</summary>
    public string? OutputName { get; set; }

    /// <summary>Gets or sets the model id reported in metadata and embeddings. Null: the folder name.</summary>
    public string? ModelId { get; set; }

    /// <summary>Gets or sets the ONNX Runtime session options (threads, optimization level). Null: defaults.</summary>
    public SessionOptions? SessionOptions { get; set; }
}
