namespace SkAgents.Connectors.OpenAI;

/// <summary>
/// The kind of OpenAI-compatible server a client talks to. It selects the authentication header
/// (Azure OpenAI uses <c>api-key</c>, every other provider a <c>Bearer</c> token), a few wire-format
/// compatibility choices, and the provider name reported in client metadata.
/// </summary>
public enum OpenAICompatibleProvider
{
    /// <summary>OpenAI (https://api.openai.com/v1/).</summary>
    OpenAI = 0,

    /// <summary>Azure OpenAI, v1 API (https://{resource}.openai.azure.com/openai/v1/); the key travels in the <c>api-key</c> header.</summary>
    AzureOpenAI,

    /// <summary>Ollama's OpenAI-compatible endpoint (http://localhost:11434/v1/).</summary>
    Ollama,

    /// <summary>vLLM's OpenAI-compatible server (http://localhost:8000/v1/).</summary>
    Vllm,

    /// <summary>Hugging Face Text Generation Inference (Messages API, http://localhost:8080/v1/).</summary>
    Tgi,

    /// <summary>LM Studio's local server (http://localhost:1234/v1/).</summary>
    LmStudio,

    /// <summary>llama.cpp's <c>llama-server</c> (http://localhost:8080/v1/).</summary>
    LlamaCpp,

    /// <summary>Any other server that speaks the OpenAI chat completions and embeddings protocol.</summary>
    Other,
}
