using SkAgents.OnnxRuntime;

namespace SkAgents.LocalModels.Captioning;

/// <summary>Options for <see cref="OnnxImageCaptioner"/>.</summary>
public sealed class OnnxImageCaptionerOptions
{
    /// <summary>
    /// Gets or sets the most tokens a caption may have; when null, <c>generation_config.json</c>'s <c>max_length</c> minus the
    /// start token (as Hugging Face counts it), or 32.
    /// </summary>
    public int? MaxTokens { get; set; }

    /// <summary>Gets or sets the ONNX Runtime session options for both models; defaults when null.</summary>
    public SessionOptions? SessionOptions { get; set; }
}
