// The parts of the sample that do not need Semantic Kernel. The SkAgents repository compiles and runs this file
// (see docs/semantic-kernel.md, "What is verified here"); Program.cs holds the Semantic Kernel parts.
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using SkAgents.Hosting;
using SkAgents.LocalModels;
using SkAgents.Plugins;

namespace SemanticKernelInterop;

/// <summary>SkAgents plugins, models and MCP connections prepared for a Semantic Kernel app.</summary>
public static class SkAgentsTools
{
    /// <summary>
    /// Builds the SkAgents services the way the <c>skagents</c> CLI does: settings from <c>appsettings.json</c>,
    /// <c>~/.config/skagents/skagents.json</c>, <c>./skagents.json</c>, the CLI's user-secrets and environment variables
    /// (<c>SKAGENTS_ENDPOINT</c>, <c>SKAGENTS_MODEL</c>, <c>SKAGENTS_MODEL_DIR</c>, ...), then connects the MCP servers
    /// configured under <c>SkAgents:Mcp:Servers</c>. The result holds the <see cref="PluginCatalog"/> (every configured
    /// plugin, MCP servers included) and the configured <see cref="IChatClient"/>.
    /// </summary>
    /// <param name="chatClient">A model to use instead of the configured one (for example a <see cref="LocalChatClient"/>); the caller keeps it and disposes it.</param>
    /// <param name="cancellationToken">Cancels connecting the configured MCP servers.</param>
    /// <returns>The services; dispose them at the end.</returns>
    public static async Task<ServiceProvider> BuildServicesAsync(IChatClient? chatClient = null, CancellationToken cancellationToken = default)
    {
        // The CLI's user-secrets id, so `dotnet user-secrets --id skagents-cli set SkAgents:Model:ApiKey ...` applies here too.
        var configuration = new ConfigurationBuilder()
            .AddSkAgentsConfiguration(new SkAgentsConfigurationSources { UserSecretsId = "skagents-cli" })
            .Build();
        var services = new ServiceCollection();
        if (chatClient is not null)
        {
            // Registered before AddSkAgents, so it replaces the configured connector; prompt tools and web_answer use
            // it too (memory_ask only when a model is also named in the settings; otherwise it answers extractively).
            services.AddSingleton(chatClient);
        }

        services.AddSkAgents(configuration);
        var provider = services.BuildServiceProvider();
        try
        {
            await provider.InitializeSkAgentsAsync(cancellationToken).ConfigureAwait(false);
            return provider;
        }
        catch
        {
            await provider.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Loads an onnxruntime-genai model folder (Phi-4-mini, Qwen, Llama-3, ...) as an in-process chat client with native tool calling.</summary>
    /// <param name="modelDirectory">The model folder (genai_config.json, the ONNX decoder, tokenizer.json).</param>
    /// <returns>The chat client; dispose it to release the model.</returns>
    public static LocalChatClient LoadLocalModel(string modelDirectory) => LocalModel.LoadChatClient(modelDirectory);

    /// <summary>
    /// The functions of one plugin, ready for <c>kernel.Plugins.AddFromFunctions(plugin.Name, ...)</c>: each under its
    /// short name (<c>now</c> in plugin <c>time</c>), so that Semantic Kernel, which names a function
    /// <c>plugin_function</c> to the model, shows it as <c>time_now</c>, the name <c>skagents plugins list</c> and the
    /// MCP server use. Each call also gets <paramref name="services"/> as <see cref="AIFunctionArguments.Services"/>
    /// when the caller passed none, because prompt functions and <c>web_answer</c> take their chat model from there.
    /// </summary>
    /// <param name="plugin">The plugin.</param>
    /// <param name="services">The SkAgents services (from <see cref="BuildServicesAsync"/>).</param>
    /// <returns>The functions; approval-required ones still report <see cref="ToolExtensions.RequiresApproval"/>.</returns>
    public static IReadOnlyList<AIFunction> ForSemanticKernel(AgentPlugin plugin, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        ArgumentNullException.ThrowIfNull(services);
        return [.. plugin.Functions.Select(function => (AIFunction)new KernelReadyFunction(function, ShortName(plugin, function), services))];
    }

    /// <summary>Gets the tool names (<c>plugin_function</c>) that need a person's approval, such as <c>files_write</c>.</summary>
    /// <param name="catalog">The catalog.</param>
    /// <returns>The names, compared case-insensitively.</returns>
    public static IReadOnlySet<string> ToolsNeedingApproval(PluginCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.Tools.Where(tool => tool.RequiresApproval()).Select(tool => tool.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>A transport that starts <c>skagents mcp serve</c> (or another MCP server) as a child process and talks to it over stdio.</summary>
    /// <param name="command">The program, for example <c>skagents</c> (the .NET tool) or <c>dotnet</c>.</param>
    /// <param name="arguments">Its arguments, for example <c>mcp serve</c> or <c>path/to/skagents.dll mcp serve</c>.</param>
    /// <returns>The transport.</returns>
    public static IClientTransport StdioTransport(string command, IReadOnlyList<string> arguments) =>
        new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "skagents",
            Command = command,
            Arguments = [.. arguments],
        });

    /// <summary>A transport to <c>skagents mcp serve --http</c> (streamable HTTP), sending the bearer token when one is given.</summary>
    /// <param name="endpoint">The server's URL, for example <c>http://127.0.0.1:5399/mcp</c>.</param>
    /// <param name="bearerToken">The server's token (<c>--token</c> or <c>SKAGENTS_MCP_TOKEN</c> on the server side), or null.</param>
    /// <returns>The transport.</returns>
    public static IClientTransport HttpTransport(Uri endpoint, string? bearerToken)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (!string.IsNullOrEmpty(bearerToken))
        {
            headers["Authorization"] = "Bearer " + bearerToken;
        }

        return new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = endpoint,
            Name = "skagents",
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = headers,
        });
    }

    /// <summary>
    /// Connects to an MCP server. The client supports elicitation, so the SkAgents server asks this app's user before
    /// it runs an approval-required tool (<c>files_write</c>); <paramref name="approve"/> answers those questions.
    /// Without elicitation the server refuses such tools unless it was started with <c>--yes</c>.
    /// </summary>
    /// <param name="transport">The transport.</param>
    /// <param name="approve">Asks the user; returns true to approve.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The client; keep it alive while the kernel uses its tools, then dispose it.</returns>
    public static Task<McpClient> ConnectAsync(IClientTransport transport, Func<string, bool> approve, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(approve);
        return McpClient.CreateAsync(transport, new McpClientOptions
        {
            ClientInfo = new Implementation { Name = "semantic-kernel-interop-sample", Version = "1.0.0" },
            Capabilities = new ClientCapabilities { Elicitation = new ElicitationCapability() },
            Handlers = new McpClientHandlers
            {
                ElicitationHandler = (request, _) => ValueTask.FromResult(Answer(request, approve)),
            },
        }, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Lists the server's tools under names Semantic Kernel accepts (<c>[A-Za-z0-9_-]</c>; a tool named
    /// <c>github.search/issues</c> becomes <c>github_search_issues</c>). The server is still called with the original name.
    /// </summary>
    /// <param name="client">The connected client.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The tools, as <see cref="AIFunction"/>s.</returns>
    public static async Task<IReadOnlyList<AIFunction>> ListToolsForSemanticKernelAsync(McpClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var tools = await client.ListToolsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. tools.Select(tool => (AIFunction)tool.WithName(ToolNames.Sanitize(tool.Name)))];
    }

    /// <summary>Asks a yes/no question on the console; anything but y/yes, and a redirected input, means no.</summary>
    /// <param name="question">The question.</param>
    /// <returns>True when the user answered yes.</returns>
    public static bool AskAtConsole(string question)
    {
        if (Console.IsInputRedirected)
        {
            Console.Error.WriteLine($"{question} -> denied (no interactive input)");
            return false;
        }

        Console.Error.Write($"{question} [y/N] ");
        var answer = Console.ReadLine()?.Trim();
        return string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) || string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase);
    }

    private static ElicitResult Answer(ElicitRequestParams? request, Func<string, bool> approve)
    {
        if (request is null || !approve(request.Message))
        {
            return new ElicitResult { Action = "decline" };
        }

        // A yes/no confirmation form: answer true to its boolean fields (the SkAgents server asks for "approve").
        var content = new Dictionary<string, JsonElement>();
        foreach (var (name, schema) in request.RequestedSchema?.Properties ?? new Dictionary<string, ElicitRequestParams.PrimitiveSchemaDefinition>())
        {
            if (schema is ElicitRequestParams.BooleanSchema)
            {
                content[name] = JsonSerializer.SerializeToElement(true);
            }
        }

        return new ElicitResult { Action = "accept", Content = content };
    }

    private static string ShortName(AgentPlugin plugin, AIFunction function) =>
        function.AdditionalProperties.TryGetValue(PluginMetadataKeys.FunctionName, out var value) && value is string name
            ? name
            : function.Name.StartsWith(plugin.Name + "_", StringComparison.Ordinal) ? function.Name[(plugin.Name.Length + 1)..] : function.Name;

    /// <summary>A plugin function under its short name that supplies the SkAgents services when the caller gives none.</summary>
    private sealed class KernelReadyFunction(AIFunction inner, string name, IServiceProvider services) : DelegatingAIFunction(inner)
    {
        public override string Name => name;

        protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
        {
            arguments.Services ??= services;
            return base.InvokeCoreAsync(arguments, cancellationToken);
        }
    }
}
