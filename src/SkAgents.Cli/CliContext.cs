using Spectre.Console;

namespace SkAgents.Cli;

/// <summary>
/// The process surroundings a command runs in: streams, environment and working directory. The real console by
/// default; tests supply their own to run commands in-process.
/// </summary>
public sealed class CliContext
{
    /// <summary>Gets or sets where answers and results go (stdout).</summary>
    public TextWriter Out { get; init; } = Console.Out;

    /// <summary>Gets or sets where errors and progress go (stderr).</summary>
    public TextWriter Error { get; init; } = Console.Error;

    /// <summary>Gets or sets where chat input comes from (stdin).</summary>
    public TextReader In { get; init; } = Console.In;

    /// <summary>Gets or sets whether a person is at the terminal (prompts allowed). Default: stdin and stdout are not redirected.</summary>
    public bool IsInteractive { get; init; } = !Console.IsInputRedirected && !Console.IsOutputRedirected;

    /// <summary>Gets or sets the environment variables; the process's when null.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>Gets or sets the working directory (for skagents.json and the files plugin's default folder).</summary>
    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>Gets or sets the per-user configuration folder; the platform default when null.</summary>
    public string? UserDirectory { get; init; } = Hosting.SkAgentsConfigurationSources.DefaultUserDirectory();

    internal IAnsiConsole CreateConsole(TextWriter writer) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(writer),
        Ansi = IsInteractive ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = IsInteractive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = IsInteractive ? InteractionSupport.Yes : InteractionSupport.No,
    });
}
