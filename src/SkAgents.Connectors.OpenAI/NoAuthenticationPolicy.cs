using System.ClientModel.Primitives;

namespace SkAgents.Connectors.OpenAI;

/// <summary>An authentication policy that adds nothing: for local servers that need no API key.</summary>
internal sealed class NoAuthenticationPolicy : AuthenticationPolicy
{
    public static NoAuthenticationPolicy Instance { get; } = new();

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        => ProcessNext(message, pipeline, currentIndex);

    public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        => ProcessNextAsync(message, pipeline, currentIndex);
}
