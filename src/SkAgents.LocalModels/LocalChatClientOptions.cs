using SkAgents.LocalModels.Generation;

namespace SkAgents.LocalModels;

/// <summary>Settings of a <see cref="LocalChatClient"/>.</summary>
public sealed class LocalChatClientOptions
{
    /// <summary>Gets or sets the model id reported in responses and metadata.</summary>
    public string ModelId { get; set; } = "local";

    /// <summary>Gets or sets the defaults for every request; per-request <c>ChatOptions</c> override them.</summary>
    public GenerationSettings DefaultSettings { get; set; } = new();

    /// <summary>Gets or sets the token ids that end the answer (the model's end-of-sequence ids).</summary>
    public IReadOnlyCollection<int> EndTokenIds { get; set; } = [];

    /// <summary>Gets or sets whether the client disposes the model when it is disposed. Default true.</summary>
    public bool OwnsModel { get; set; } = true;
}
