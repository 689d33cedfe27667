namespace SkAgents.LocalModels.Embeddings;

/// <summary>
/// How token vectors (<c>last_hidden_state</c>, [batch, sequence, hidden]) become one sentence vector, as in
/// sentence-transformers' <c>Pooling</c> module. Several modes may be combined: their results are concatenated in the
/// order of the flags' values (CLS, max, mean, mean-sqrt-len, weighted mean, last token), as sentence-transformers does.
/// </summary>
[Flags]
public enum PoolingModes
{
    /// <summary>No pooling (only valid when the model already outputs a sentence vector).</summary>
    None = 0,

    /// <summary>The vector of the first token (<c>[CLS]</c>): <c>pooling_mode_cls_token</c> (bge-*).</summary>
    Cls = 1,

    /// <summary>Element-wise maximum over the real (non-padding) tokens: <c>pooling_mode_max_tokens</c>.</summary>
    Max = 2,

    /// <summary>Mean over the real tokens (attention-mask weighted): <c>pooling_mode_mean_tokens</c> (all-MiniLM-L6-v2).</summary>
    Mean = 4,

    /// <summary>Sum over the real tokens divided by the square root of their count: <c>pooling_mode_mean_sqrt_len_tokens</c>.</summary>
    MeanSqrtLength = 8,

    /// <summary>Mean weighted by position (1, 2, 3, ...): <c>pooling_mode_weightedmean_tokens</c>.</summary>
    WeightedMean = 16,

    /// <summary>The vector of the last real token: <c>pooling_mode_lasttoken</c>.</summary>
    LastToken = 32,
}

/// <summary>Where <see cref="OnnxEmbeddingGenerator.Pooling"/> came from.</summary>
public enum PoolingSource
{
    /// <summary>The folder has no pooling configuration: mean pooling is used by default.</summary>
    Default = 0,

    /// <summary>The sentence-transformers pooling configuration (<c>1_Pooling/config.json</c>, or the path named in <c>modules.json</c>).</summary>
    PoolingConfig,

    /// <summary><see cref="OnnxEmbeddingOptions.Pooling"/>.</summary>
    Options,

    /// <summary>The model already outputs pooled sentence vectors ([batch, hidden]); no pooling is applied.</summary>
    ModelOutput,
}
