using SkAgents.OnnxRuntime;

namespace SkAgents.LocalModels.GenAI;

/// <summary>How an <see cref="OnnxDecoderModel"/> keeps a sequence's key/value cache.</summary>
public enum KvCacheMode
{
    /// <summary>Follow <c>search.past_present_share_buffer</c> of genai_config.json.</summary>
    Auto,

    /// <summary>
    /// One zero-filled <c>[1, kv_heads, max_length, head_size]</c> buffer per layer for keys and one for values,
    /// allocated when the sequence starts and bound as both the past input and the present output of every run
    /// (GroupQueryAttention exports). Nothing is copied between steps.
    /// </summary>
    SharedBuffer,

    /// <summary>
    /// Pasts start as <c>[1, kv_heads, 0, head_size]</c>; each run's presents (one position longer) become the next
    /// run's pasts. Works with any export, at the cost of a copy of the whole cache per step.
    /// </summary>
    Growing,
}

/// <summary>Options for <see cref="OnnxDecoderModel.Load(string, OnnxDecoderOptions?)"/>; unset values come from genai_config.json.</summary>
public sealed class OnnxDecoderOptions
{
    /// <summary>Gets or sets the intra-op thread count; null uses genai_config.json, else onnxruntime-genai's default (half the cores, at most 16).</summary>
    public int? IntraOpNumThreads { get; set; }

    /// <summary>Gets or sets the inter-op thread count; null uses genai_config.json (0 = ONNX Runtime's default).</summary>
    public int? InterOpNumThreads { get; set; }

    /// <summary>Gets or sets the graph optimization level; null uses genai_config.json, else all optimizations.</summary>
    public GraphOptimizationLevel? GraphOptimizationLevel { get; set; }

    /// <summary>
    /// Gets or sets whether ONNX Runtime's worker threads spin while waiting for work (faster steps, busy cores) or
    /// block (friendlier to other work on the machine); null keeps genai_config.json's entry or ONNX Runtime's default (spin).
    /// </summary>
    public bool? AllowSpinning { get; set; }

    /// <summary>Gets or sets the KV-cache mode (default: as genai_config.json says).</summary>
    public KvCacheMode KvCacheMode { get; set; } = KvCacheMode.Auto;

    /// <summary>
    /// Gets or sets the maximum sequence length used when none is given; null means the smallest of
    /// <c>search.max_length</c>, <c>model.context_length</c> and 4096.
    /// </summary>
    public int? DefaultMaxLength { get; set; }

    /// <summary>
    /// Gets or sets the most tokens one forward pass feeds: longer inputs (prompts) run in chunks, which bounds the
    /// memory of the prompt's logits. 0 (default) feeds everything at once.
    /// </summary>
    public int PrefillChunkSize { get; set; }

    /// <summary>Gets further session config entries, applied after genai_config.json's.</summary>
    public IDictionary<string, string> SessionConfigEntries { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
