using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SkAgents.Prompts.Tests;

/// <summary>A chat client that records each request and answers with scripted texts.</summary>
internal sealed class ScriptedChatClient : IChatClient
{
    private readonly Queue<string> _answers = new();

    public ScriptedChatClient(params string[] answers)
    {
        foreach (var answer in answers)
        {
            _answers.Enqueue(answer);
        }
    }

    public List<(List<ChatMessage> Messages, ChatOptions? Options)> Requests { get; } = [];

    public TimeSpan Delay { get; set; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Requests.Add(([.. messages], options));
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, Next()));
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Requests.Add(([.. messages], options));
        var answer = Next();
        foreach (var word in answer.Split(' '))
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, word + " ");
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private string Next() => _answers.Count > 0 ? _answers.Dequeue() : "ok";
}

/// <summary>A minimal service provider (with keyed services) for AIFunctionArguments.Services.</summary>
internal sealed class TestServices : IServiceProvider, Microsoft.Extensions.DependencyInjection.IKeyedServiceProvider
{
    private readonly Dictionary<Type, object> _services = [];
    private readonly Dictionary<(Type, object), object> _keyed = [];

    public TestServices Add<T>(T service)
        where T : class
    {
        _services[typeof(T)] = service;
        return this;
    }

    public TestServices AddKeyed<T>(object key, T service)
        where T : class
    {
        _keyed[(typeof(T), key)] = service;
        return this;
    }

    public object? GetService(Type serviceType) => _services.GetValueOrDefault(serviceType);

    public object? GetKeyedService(Type serviceType, object? serviceKey) =>
        serviceKey is null ? GetService(serviceType) : _keyed.GetValueOrDefault((serviceType, serviceKey));

    public object GetRequiredKeyedService(Type serviceType, object? serviceKey) =>
        GetKeyedService(serviceType, serviceKey) ?? throw new InvalidOperationException("not registered");
}

/// <summary>Helpers shared by the tests.</summary>
internal static class TestData
{
    public static PromptTemplateConfig Config(string template, string format = "semantic-kernel", params InputVariable[] variables)
    {
        var config = new PromptTemplateConfig { Name = "test", Template = template, TemplateFormat = format };
        foreach (var variable in variables)
        {
            config.InputVariables.Add(variable);
        }

        return config;
    }

    public static Task<string> Render(string template, AIFunctionArguments? arguments = null, string format = "semantic-kernel", IEnumerable<AIFunction>? functions = null, PromptTemplateOptions? options = null, params InputVariable[] variables) =>
        PromptTemplateFactory.Create(Config(template, format, variables), functions, options).RenderAsync(arguments).AsTask();

    public static string ShippedPromptPath(string name) => Path.Combine(PromptCatalog.DefaultDirectory, name + ".yaml");
}
