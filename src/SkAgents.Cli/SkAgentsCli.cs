using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SkAgents.Agents;
using SkAgents.Connectors.OpenAI;
using SkAgents.Hosting;
using SkAgents.Plugins;
using SkAgents.Prompts;
using Spectre.Console;

namespace SkAgents.Cli;

/// <summary>The <c>skagents</c> command line: builds the commands and runs one.</summary>
public static class SkAgentsCli
{
    internal static readonly JsonSerializerOptions JsonOutput = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static readonly Option<Uri?> EndpointOption = new("--endpoint") { Description = "Base URL of an OpenAI-compatible service (overrides SKAGENTS_ENDPOINT).", Recursive = true };
    private static readonly Option<string?> ModelOption = new("--model") { Description = "Chat model id (overrides SKAGENTS_MODEL).", Recursive = true };
    private static readonly Option<string?> ApiKeyOption = new("--api-key") { Description = "API key (overrides SKAGENTS_API_KEY / OPENAI_API_KEY). Prefer the environment or user-secrets.", Recursive = true };
    private static readonly Option<DirectoryInfo?> ModelDirOption = new("--model-dir") { Description = "Run a local onnxruntime-genai model folder in process instead of calling a service.", Recursive = true };
    private static readonly Option<FileInfo?> ConfigOption = new("--config") { Description = "A settings file read after skagents.json.", Recursive = true };
    private static readonly Option<bool> VerboseOption = new("--verbose", "-v") { Description = "Log details to stderr.", Recursive = true };

    /// <summary>Runs the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="context">The process surroundings; the real console when null.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The exit code (see <see cref="ExitCodes"/>).</returns>
    public static async Task<int> RunAsync(string[] args, CliContext? context = null, CancellationToken cancellationToken = default)
    {
        context ??= new CliContext();
        var root = BuildCommand(context);
        var parse = root.Parse(args);
        var invocation = new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false };
        try
        {
            return await parse.InvokeAsync(invocation, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await context.Error.WriteLineAsync("error: cancelled.");
            return ExitCodes.Cancelled;
        }
        catch (Exception ex) when (ex is OptionsValidationException or FileNotFoundException or InvalidDataException or ArgumentException
            or LocalModels.GenAI.ModelFolderException or Tokenizers.TokenizerException or Memory.Extraction.TextExtractionException
            or Mcp.Client.McpServerConnectionException)
        {
            await context.Error.WriteLineAsync("error: " + OneLine(ex));
            return ExitCodes.UsageError;
        }
        catch (Exception ex)
        {
            await context.Error.WriteLineAsync("error: " + OneLine(ex));
            return ExitCodes.Failure;
        }
    }

    /// <summary>Builds the command tree.</summary>
    /// <param name="context">The process surroundings.</param>
    /// <returns>The root command.</returns>
    public static RootCommand BuildCommand(CliContext context)
    {
        var root = new RootCommand("SkAgents: run agents with plugins on local or OpenAI-compatible models.");
        root.Add(EndpointOption);
        root.Add(ModelOption);
        root.Add(ModelDirOption);
        root.Add(ApiKeyOption);
        root.Add(ConfigOption);
        root.Add(VerboseOption);
        root.Add(RunCommand(context));
        root.Add(ChatCommand(context));
        root.Add(PluginsCommand(context));
        root.Add(PromptsCommand(context));
        root.Add(ConfigCommand(context));
        root.Add(Commands.TokensCommand.Create(context));
        root.Add(Commands.ModelsCommand.Create(context));
        root.Add(Commands.MemoryCommand.Create(context));
        root.Add(Commands.WebCommand.Create(context));
        root.Add(Commands.NotionCommand.Create(context));
        root.Add(Commands.MastodonCommand.Create(context));
        root.Add(Commands.CaptionCommand.Create(context));
        root.Add(Commands.McpCommand.Create(context));
        return root;
    }

    private static Command RunCommand(CliContext context)
    {
        var task = new Argument<string>("task") { Description = "What the agent should do." };
        var yes = new Option<bool>("--yes", "-y") { Description = "Approve every side-effecting tool call without asking." };
        var json = new Option<bool>("--json") { Description = "Print a JSON object with the answer, tool calls and usage." };
        var command = new Command("run", "Run the agent once on a task and print its answer.") { task, yes, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = BuildServices(parse, context, parse.GetValue(yes));
            await services.InitializeSkAgentsAsync(ct);
            var agent = services.GetRequiredService<Agent>();
            var result = await agent.RunAsync(parse.GetRequiredValue(task), ct);
            if (parse.GetValue(json))
            {
                await context.Out.WriteLineAsync(RunOutput.ToJson(result));
            }
            else if (result.IsCompleted)
            {
                await context.Out.WriteLineAsync(result.Text);
            }

            if (!result.IsCompleted)
            {
                await context.Error.WriteLineAsync("error: " + RunOutput.DescribeStop(result));
                return ExitCodes.AgentIncomplete;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ChatCommand(CliContext context)
    {
        var yes = new Option<bool>("--yes", "-y") { Description = "Approve every side-effecting tool call without asking." };
        var command = new Command("chat", "Chat with the agent: streamed answers, visible tool calls, approval prompts. /reset clears, /exit quits.") { yes };
        command.SetAction(async (parse, ct) =>
        {
            await using var services = BuildServices(parse, context, parse.GetValue(yes));
            await services.InitializeSkAgentsAsync(ct);
            var session = new ChatSession(services.GetRequiredService<Agent>(), context);
            return await session.RunAsync(ct);
        });
        return command;
    }

    private static Command PluginsCommand(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array of {name, description, parameters}." };
        var list = new Command("list", "List every tool the agent can call.") { json };
        list.SetAction(async (parse, ct) =>
        {
            await using var services = BuildServices(parse, context, approveAll: false);
            await services.InitializeSkAgentsAsync(ct);
            var tools = services.GetRequiredService<PluginCatalog>().Tools;
            if (parse.GetValue(json))
            {
                var array = new JsonArray([.. tools.Select(t => (JsonNode)new JsonObject
                {
                    ["name"] = t.Name,
                    ["description"] = t.Description,
                    ["parameters"] = JsonNode.Parse(t.JsonSchema.GetRawText()),
                    ["plugin"] = t.GetPluginName(),
                    ["requiresApproval"] = t.RequiresApproval(),
                })]);
                await context.Out.WriteLineAsync(array.ToJsonString(JsonOutput));
                return ExitCodes.Success;
            }

            var table = new Table().AddColumns("Tool", "Description", "Parameters", "Approval");
            foreach (var tool in tools)
            {
                table.AddRow(
                    Markup.Escape(tool.Name),
                    Markup.Escape(tool.Description),
                    Markup.Escape(DescribeParameters(tool.JsonSchema)),
                    tool.RequiresApproval() ? "required" : string.Empty);
            }

            context.CreateConsole(context.Out).Write(table);
            return ExitCodes.Success;
        });
        return new Command("plugins", "Inspect plugins and their tools.") { list };
    }

    private static Command PromptsCommand(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var list = new Command("list", "List the prompt functions.") { json };
        list.SetAction(async (parse, ct) =>
        {
            await using var services = BuildServices(parse, context, approveAll: false);
            var prompts = services.GetRequiredService<IPromptCatalog>().Prompts;
            if (parse.GetValue(json))
            {
                var array = new JsonArray([.. prompts.Select(p => (JsonNode)new JsonObject
                {
                    ["name"] = p.Name,
                    ["description"] = p.Description,
                    ["parameters"] = JsonNode.Parse(p.JsonSchema.GetRawText()),
                })]);
                await context.Out.WriteLineAsync(array.ToJsonString(JsonOutput));
                return ExitCodes.Success;
            }

            var table = new Table().AddColumns("Prompt", "Description", "Variables");
            foreach (var prompt in prompts)
            {
                table.AddRow(Markup.Escape(prompt.Name), Markup.Escape(prompt.Description), Markup.Escape(DescribeParameters(prompt.JsonSchema)));
            }

            context.CreateConsole(context.Out).Write(table);
            return ExitCodes.Success;
        });

        var name = new Argument<string>("name") { Description = "The prompt's name." };
        var variables = new Option<string[]>("--var") { Description = "A template variable, name=value (repeatable).", AllowMultipleArgumentsPerToken = false };
        var run = new Command("run", "Render a prompt with variables and print the model's answer.") { name, variables };
        run.SetAction(async (parse, ct) =>
        {
            await using var services = BuildServices(parse, context, approveAll: false);
            var prompt = services.GetRequiredService<IPromptCatalog>().GetPrompt(parse.GetRequiredValue(name));
            var arguments = new AIFunctionArguments { Services = services };
            foreach (var pair in parse.GetValue(variables) ?? [])
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new ArgumentException($"--var '{pair}' is not of the form name=value.");
                }

                arguments[pair[..equals]] = pair[(equals + 1)..];
            }

            var result = await prompt.InvokeAsync(arguments, ct);
            await context.Out.WriteLineAsync(result is JsonElement { ValueKind: JsonValueKind.String } element ? element.GetString() : result?.ToString());
            return ExitCodes.Success;
        });
        return new Command("prompts", "List and run prompt functions.") { list, run };
    }

    private static Command ConfigCommand(CliContext context)
    {
        var show = new Command("show", "Print the effective configuration, secrets redacted.");
        show.SetAction(async (parse, ct) =>
        {
            await using var services = BuildServices(parse, context, approveAll: false);
            var options = services.GetRequiredService<IOptions<SkAgentsOptions>>().Value;
            await context.Out.WriteLineAsync(ConfigurationRedactor.ToRedactedJson(options));
            return ExitCodes.Success;
        });
        return new Command("config", "Inspect configuration.") { show };
    }

    /// <summary>Builds the app's services from configuration layers plus this command line's flags.</summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="context">The process surroundings.</param>
    /// <param name="approveAll">Approve every side effect (<c>--yes</c>), including external MCP servers' confirmations.</param>
    /// <param name="extraOverrides">Settings this command fixes.</param>
    /// <param name="consolePrompts">Whether the terminal may be used for questions; false where stdin carries a protocol (<c>mcp serve</c>).</param>
    internal static ServiceProvider BuildServices(ParseResult parse, CliContext context, bool approveAll, IDictionary<string, string?>? extraOverrides = null, bool consolePrompts = true)
    {
        var overrides = new Dictionary<string, string?>();
        if (parse.GetValue(EndpointOption) is { } endpoint)
        {
            overrides["SkAgents:Model:Endpoint"] = endpoint.ToString();
        }

        if (parse.GetValue(ModelOption) is { } model)
        {
            overrides["SkAgents:Model:Name"] = model;
        }

        if (parse.GetValue(ModelDirOption) is { } modelDir)
        {
            overrides["SkAgents:Model:LocalDirectory"] = modelDir.FullName;
        }

        if (parse.GetValue(ApiKeyOption) is { } apiKey)
        {
            overrides["SkAgents:Model:ApiKey"] = apiKey;
        }

        foreach (var (key, value) in extraOverrides ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddSkAgentsConfiguration(new SkAgentsConfigurationSources
        {
            WorkingDirectory = context.WorkingDirectory,
            UserDirectory = context.UserDirectory,
            ConfigFile = parse.GetValue(ConfigOption)?.FullName,
            UserSecretsId = "skagents-cli",
            Environment = context.Environment,
            Overrides = overrides,
        }).Build();

        var services = new ServiceCollection();
        var verbose = parse.GetValue(VerboseOption);
        services.AddLogging(logging => logging
            .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning)
            .AddProvider(new TextWriterLoggerProvider(context.Error)));

        IToolApprover approver = approveAll
            ? ApproveAllToolApprover.Instance
            : context.IsInteractive && consolePrompts ? new ConsoleToolApprover(context.CreateConsole(context.Error)) : DenyAllToolApprover.Instance;
        services.AddSingleton(approver);
        if (approveAll)
        {
            services.AddSingleton<Mcp.Client.IMcpElicitationHandler>(Mcp.Client.ApproveConfirmationsElicitationHandler.Instance);
        }
        else if (context.IsInteractive && consolePrompts)
        {
            services.AddSingleton<Mcp.Client.IMcpElicitationHandler>(_ => new ConsoleElicitationHandler(context.CreateConsole(context.Error)));
        }

        services.AddSkAgents(configuration, options =>
        {
            // Relative folders in settings are relative to the working directory.
            options.Plugins.Files.Root = Path.GetFullPath(options.Plugins.Files.Root ?? ".", context.WorkingDirectory);
            if (options.Memory.DatabasePath is { Length: > 0 } database)
            {
                options.Memory.DatabasePath = Path.GetFullPath(database, context.WorkingDirectory);
            }

            if (options.Model.LocalDirectory is { Length: > 0 } localDirectory)
            {
                options.Model.LocalDirectory = Path.GetFullPath(localDirectory, context.WorkingDirectory);
            }
        });

        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        // Validate settings now, so a wrong one fails with its name before any work starts.
        _ = provider.GetRequiredService<IOptions<SkAgentsOptions>>().Value;
        return provider;
    }

    private static string DescribeParameters(JsonElement schema)
    {
        if (!schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
        {
            return string.Empty;
        }

        var required = schema.TryGetProperty("required", out var r) && r.ValueKind == JsonValueKind.Array
            ? r.EnumerateArray().Select(e => e.GetString()).ToHashSet()
            : [];
        return string.Join(", ", properties.EnumerateObject().Select(p =>
        {
            var type = !p.Value.TryGetProperty("type", out var t) ? "any"
                : t.ValueKind == JsonValueKind.Array
                    ? string.Join(" | ", t.EnumerateArray().Select(e => e.GetString()).Where(e => e != "null"))
                    : t.GetString() ?? "any";
            if (p.Value.TryGetProperty("enum", out var values) && values.ValueKind == JsonValueKind.Array)
            {
                type = string.Join(" | ", values.EnumerateArray().Select(e => e.ToString()));
            }

            return required.Contains(p.Name) ? $"{p.Name}: {type}" : $"{p.Name}?: {type}";
        }));
    }

    internal static string OneLine(Exception exception)
    {
        var message = exception switch
        {
            OptionsValidationException options => string.Join(" ", options.Failures),
            _ => exception.Message,
        };
        return message.ReplaceLineEndings(" ").Trim();
    }
}
