// Semantic Kernel interop sample: SkAgents plugins in a Kernel, the SkAgents local ONNX model as SK's chat model, and
// the tools of `skagents mcp serve` in a Kernel. See README.md next to this file and docs/semantic-kernel.md.
//
//   dotnet run -- plugins "What time is it in Tokyo?"
//   dotnet run -- local <model folder> "What time is it in Tokyo?"
//   dotnet run -- mcp-stdio "Write a haiku about today's date into haiku.txt" [-- <command> <arguments...>]
//   dotnet run -- mcp-http http://127.0.0.1:5399/mcp "What time is it in Tokyo?"   (token from SKAGENTS_MCP_TOKEN)
//
// `plugins` and the `mcp-*` commands use the model SkAgents is configured with (SKAGENTS_ENDPOINT / SKAGENTS_MODEL /
// SKAGENTS_API_KEY, SKAGENTS_MODEL_DIR for a local model, or skagents.json), exactly like the `skagents` CLI.
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using ModelContextProtocol.Client;
using SemanticKernelInterop;
using SkAgents.LocalModels;
using SkAgents.Plugins;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: plugins <question> | local <model folder> <question> | mcp-stdio <question> [-- <command> <args...>] | mcp-http <url> <question>");
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

try
{
    switch (args[0])
    {
        case "plugins":
        {
            // (a) SkAgents plugins in a Kernel, with the configured model.
            await using var skagents = await SkAgentsTools.BuildServicesAsync(cancellationToken: cancel.Token);
            Kernel kernel = CreateKernel(skagents.GetRequiredService<IChatClient>());
            ImportSkAgentsPlugins(kernel, skagents);
            Console.WriteLine(await AskAsync(kernel, args[1], cancel.Token));
            return 0;
        }

        case "local" when args.Length >= 3:
        {
            // (b) The SkAgents local ONNX model (in process, native tool calling) as Semantic Kernel's chat model.
            using LocalChatClient local = SkAgentsTools.LoadLocalModel(args[1]);
            IChatClient withTools = local.AsBuilder().UseKernelFunctionInvocation().Build();

            IKernelBuilder builder = Kernel.CreateBuilder();
            builder.Services.AddSingleton(withTools);
            builder.Services.AddSingleton<IChatCompletionService>(withTools.AsChatCompletionService());
            Kernel kernel = builder.Build();

            // The same model also serves the plugins that call a model themselves (prompts_*, web_answer).
            await using var skagents = await SkAgentsTools.BuildServicesAsync(local, cancel.Token);
            ImportSkAgentsPlugins(kernel, skagents);
            Console.WriteLine(await AskAsync(kernel, args[2], cancel.Token));
            return 0;
        }

        case "mcp-stdio":
        case "mcp-http" when args.Length >= 3:
        {
            // (c) The tools of `skagents mcp serve` in a Kernel.
            IClientTransport transport;
            string question;
            if (args[0] == "mcp-http")
            {
                transport = SkAgentsTools.HttpTransport(new Uri(args[1]), Environment.GetEnvironmentVariable("SKAGENTS_MCP_TOKEN"));
                question = args[2];
            }
            else
            {
                var separator = Array.IndexOf(args, "--");
                var server = separator > 0 && separator + 1 < args.Length ? args[(separator + 1)..] : ["skagents", "mcp", "serve"];
                transport = SkAgentsTools.StdioTransport(server[0], server[1..]);
                question = args[1];
            }

            // The server asks (MCP elicitation) before it runs files_write and other approval-required tools.
            await using McpClient mcp = await SkAgentsTools.ConnectAsync(transport, SkAgentsTools.AskAtConsole, cancel.Token);
            IReadOnlyList<AIFunction> tools = await SkAgentsTools.ListToolsForSemanticKernelAsync(mcp, cancel.Token);

            await using var skagents = await SkAgentsTools.BuildServicesAsync(cancellationToken: cancel.Token);
            Kernel kernel = CreateKernel(skagents.GetRequiredService<IChatClient>());
            kernel.Plugins.AddFromFunctions("skagents", "Tools of the SkAgents MCP server.", tools.Select(tool => tool.AsKernelFunction()));
            Console.WriteLine(await AskAsync(kernel, question, cancel.Token));
            return 0;
        }

        default:
            Console.Error.WriteLine($"error: unknown command or missing argument: {string.Join(' ', args)}");
            return 2;
    }
}
catch (Exception ex) when (ex is not OperationCanceledException)
{
    // SkAgents settings errors name the key to fix (for example SkAgents:Model:Name).
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}

// A Kernel whose chat model is an IChatClient. UseKernelFunctionInvocation() adds the layer that runs the tool calls the
// model makes (and Semantic Kernel's auto-function-invocation filters); without it the calls come back unexecuted.
static Kernel CreateKernel(IChatClient model)
{
    IKernelBuilder builder = Kernel.CreateBuilder();
    builder.Services.AddChatClient(model).UseKernelFunctionInvocation();
    builder.Services.AddSingleton<IChatCompletionService>(services => services.GetRequiredService<IChatClient>().AsChatCompletionService(services));
    return builder.Build();
}

// Every plugin of the SkAgents catalog becomes one Semantic Kernel plugin; approval-required tools ask at the console.
static void ImportSkAgentsPlugins(Kernel kernel, IServiceProvider skagents)
{
    var catalog = skagents.GetRequiredService<PluginCatalog>();
    foreach (AgentPlugin plugin in catalog)
    {
        // Short names: plugin "time" + function "now" reaches the model as time_now, the name SkAgents uses everywhere.
        // (plugin.Functions.Select(f => f.AsKernelFunction()) works too; the model then sees time_time_now.)
        kernel.Plugins.AddFromFunctions(plugin.Name, plugin.Description,
            SkAgentsTools.ForSemanticKernel(plugin, skagents).Select(function => function.AsKernelFunction()));
    }

    kernel.AutoFunctionInvocationFilters.Add(new ApprovalFilter(SkAgentsTools.ToolsNeedingApproval(catalog)));
}

static async Task<string> AskAsync(Kernel kernel, string question, CancellationToken cancellationToken)
{
    IChatCompletionService chat = kernel.GetRequiredService<IChatCompletionService>();
    var history = new ChatHistory("You are a helpful assistant. Use the tools when they help, and say which ones you used.");
    history.AddUserMessage(question);
    var settings = new PromptExecutionSettings
    {
        // RetainArgumentTypes: object and array arguments reach the tools as JSON, not as strings.
        FunctionChoiceBehavior = FunctionChoiceBehavior.Auto(options: new FunctionChoiceBehaviorOptions { RetainArgumentTypes = true }),
    };
    ChatMessageContent answer = await chat.GetChatMessageContentAsync(history, settings, kernel, cancellationToken);
    return answer.Content ?? string.Empty;
}

/// <summary>
/// Asks before a tool with side effects runs (files_write, notion_create_page, mastodon_post_status, ...). SkAgents marks
/// them as ApprovalRequiredAIFunction; this filter does not rely on that marker surviving AsKernelFunction(), it uses the
/// names SkAgentsTools.ToolsNeedingApproval read from the catalog.
/// </summary>
internal sealed class ApprovalFilter(IReadOnlySet<string> toolsNeedingApproval) : IAutoFunctionInvocationFilter
{
    public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
    {
        string tool = string.IsNullOrEmpty(context.Function.PluginName) ? context.Function.Name : $"{context.Function.PluginName}_{context.Function.Name}";
        if (toolsNeedingApproval.Contains(tool))
        {
            string arguments = context.Arguments is { } given ? string.Join(", ", given.Select(a => $"{a.Key}={a.Value}")) : string.Empty;
            if (!SkAgentsTools.AskAtConsole($"Allow {tool}({arguments})?"))
            {
                // Not calling next() skips the function; the model gets this text as the tool's result.
                context.Result = new FunctionResult(context.Function, $"{tool} was not run: the user did not approve it.");
                return;
            }
        }

        await next(context);
    }
}
