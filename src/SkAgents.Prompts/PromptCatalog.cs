using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SkAgents.Prompts;

/// <summary>Options for a <see cref="PromptCatalog"/>.</summary>
public sealed class PromptCatalogOptions
{
    /// <summary>Gets or sets a value indicating whether a broken file or a duplicate name throws instead of being recorded in <see cref="PromptCatalog.Errors"/>.</summary>
    public bool Strict { get; set; }

    /// <summary>Gets or sets a value indicating whether <see cref="PromptCatalog.AddDirectory"/> also reads subfolders.</summary>
    public bool Recursive { get; set; }

    /// <summary>Gets or sets the AI service id every prompt uses (see <see cref="PromptFunctionOptions.ServiceId"/>).</summary>
    public string? ServiceId { get; set; }

    /// <summary>Gets or sets a value indicating whether every inserted value is trusted and inserted without HTML encoding.</summary>
    public bool AllowDangerouslySetContent { get; set; }

    /// <summary>Gets or sets the logger factory.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}

/// <summary>A problem met while loading a prompt into a <see cref="PromptCatalog"/>.</summary>
/// <param name="Source">The file (or other source) that failed.</param>
/// <param name="Message">What went wrong.</param>
/// <param name="Exception">The error, if any.</param>
public sealed record PromptLoadError(string Source, string Message, Exception? Exception);

/// <summary>
/// A set of <see cref="PromptFunction"/>s, usually the prompt YAML files of a folder. A broken file is recorded in
/// <see cref="Errors"/> and the others still load (unless <see cref="PromptCatalogOptions.Strict"/>); when two prompts
/// share a name, the first is kept and the second reported.
/// </summary>
public sealed class PromptCatalog : IPromptCatalog
{
    private static readonly string[] Extensions = [".yaml", ".yml"];

    private readonly object _gate = new();
    private readonly IChatClient? _chatClient;
    private readonly List<AIFunction> _templateFunctions;
    private readonly PromptCatalogOptions _options;
    private readonly ILogger _logger;
    private readonly SortedDictionary<string, PromptFunction> _prompts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<PromptLoadError> _errors = [];
    private IReadOnlyList<PromptFunction>? _promptFunctions;

    /// <summary>Initializes a new instance of the <see cref="PromptCatalog"/> class, empty.</summary>
    /// <param name="chatClient">The chat client every prompt uses; <see langword="null"/> resolves it from the invocation's services.</param>
    /// <param name="templateFunctions">The functions templates may call.</param>
    /// <param name="options">Loading options.</param>
    public PromptCatalog(IChatClient? chatClient = null, IEnumerable<AIFunction>? templateFunctions = null, PromptCatalogOptions? options = null)
    {
        _chatClient = chatClient;
        _templateFunctions = templateFunctions?.Where(f => f is not null).ToList() ?? [];
        _options = options ?? new PromptCatalogOptions();
        _logger = (_options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<PromptCatalog>();
    }

    /// <summary>Gets the folder of the prompts shipped with the library: <c>prompts/</c> next to the application.</summary>
    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "prompts");

    /// <inheritdoc />
    public IReadOnlyList<AIFunction> Prompts => PromptFunctions;

    /// <summary>Gets the prompt functions, ordered by name.</summary>
    public IReadOnlyList<PromptFunction> PromptFunctions
    {
        get
        {
            lock (_gate)
            {
                return _promptFunctions ??= [.. _prompts.Values];
            }
        }
    }

    /// <summary>Gets the problems met while loading.</summary>
    public IReadOnlyList<PromptLoadError> Errors
    {
        get
        {
            lock (_gate)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>Loads every <c>*.yaml</c> and <c>*.yml</c> file of a folder.</summary>
    /// <param name="path">The folder.</param>
    /// <param name="chatClient">The chat client every prompt uses; <see langword="null"/> resolves it from the invocation's services.</param>
    /// <param name="templateFunctions">The functions templates may call.</param>
    /// <param name="options">Loading options.</param>
    /// <returns>The catalog.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static PromptCatalog LoadDirectory(string path, IChatClient? chatClient, IEnumerable<AIFunction>? templateFunctions = null, PromptCatalogOptions? options = null)
    {
        var catalog = new PromptCatalog(chatClient, templateFunctions, options);
        catalog.AddDirectory(path);
        return catalog;
    }

    /// <summary>Loads the prompts shipped with the library (<see cref="DefaultDirectory"/>).</summary>
    /// <param name="chatClient">The chat client every prompt uses; <see langword="null"/> resolves it from the invocation's services.</param>
    /// <param name="templateFunctions">The functions templates may call.</param>
    /// <param name="options">Loading options.</param>
    /// <returns>The catalog.</returns>
    public static PromptCatalog LoadDefault(IChatClient? chatClient = null, IEnumerable<AIFunction>? templateFunctions = null, PromptCatalogOptions? options = null) =>
        LoadDirectory(DefaultDirectory, chatClient, templateFunctions, options);

    /// <summary>Loads prompts from YAML texts.</summary>
    /// <param name="sources">Pairs of source name (used in errors and as the name fallback) and YAML text.</param>
    /// <param name="chatClient">The chat client every prompt uses.</param>
    /// <param name="templateFunctions">The functions templates may call.</param>
    /// <param name="options">Loading options.</param>
    /// <returns>The catalog.</returns>
    public static PromptCatalog FromYaml(IEnumerable<KeyValuePair<string, string>> sources, IChatClient? chatClient = null, IEnumerable<AIFunction>? templateFunctions = null, PromptCatalogOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var catalog = new PromptCatalog(chatClient, templateFunctions, options);
        foreach (var (source, yaml) in sources)
        {
            catalog.AddYaml(yaml, source);
        }

        return catalog;
    }

    /// <summary>Adds every <c>*.yaml</c> and <c>*.yml</c> file of a folder, in name order.</summary>
    /// <param name="path">The folder.</param>
    /// <returns>The number of prompts added.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public int AddDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!Directory.Exists(path))
        {
            throw new DirectoryNotFoundException($"The prompt folder '{path}' does not exist.");
        }

        var files = Directory.EnumerateFiles(path, "*", _options.Recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);
        var added = 0;
        foreach (var file in files)
        {
            if (AddFile(file) is not null)
            {
                added++;
            }
        }

        return added;
    }

    /// <summary>Adds a prompt YAML file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The prompt, or <see langword="null"/> when it failed to load (see <see cref="Errors"/>).</returns>
    public PromptFunction? AddFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string yaml;
        try
        {
            yaml = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail(path, new PromptConfigurationException(path, $"The file could not be read: {ex.Message}", innerException: ex));
        }

        return AddYaml(yaml, path);
    }

    /// <summary>Adds prompt YAML from a stream.</summary>
    /// <param name="stream">The stream; it is left open.</param>
    /// <param name="sourceName">The source's name, for errors and as the name fallback.</param>
    /// <returns>The prompt, or <see langword="null"/> when it failed to load.</returns>
    public PromptFunction? AddStream(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        using var reader = new StreamReader(stream, leaveOpen: true);
        return AddYaml(reader.ReadToEnd(), sourceName);
    }

    /// <summary>Adds prompt YAML text.</summary>
    /// <param name="yaml">The YAML.</param>
    /// <param name="sourceName">The source's name, for errors and as the name fallback.</param>
    /// <returns>The prompt, or <see langword="null"/> when it failed to load.</returns>
    public PromptFunction? AddYaml(string yaml, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var source = sourceName ?? "(yaml)";
        PromptFunction prompt;
        try
        {
            prompt = PromptFunction.FromYaml(yaml, _chatClient, new PromptFunctionOptions
            {
                TemplateFunctions = _templateFunctions,
                ServiceId = _options.ServiceId,
                AllowDangerouslySetContent = _options.AllowDangerouslySetContent,
                LoggerFactory = _options.LoggerFactory,
                SourceName = sourceName,
            });
        }
        catch (PromptException ex)
        {
            return Fail(source, ex);
        }

        return Add(prompt, source) ? prompt : null;
    }

    /// <summary>Adds a prompt function.</summary>
    /// <param name="prompt">The prompt.</param>
    /// <param name="source">Where it came from, for the error when its name is taken.</param>
    /// <returns><see langword="true"/> when added; <see langword="false"/> when a prompt of that name is already loaded (the error is recorded).</returns>
    public bool Add(PromptFunction prompt, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        lock (_gate)
        {
            if (_prompts.ContainsKey(prompt.Name))
            {
                var problem = $"A prompt named '{prompt.Name}' is already loaded; this one is ignored.";
                Fail(source ?? prompt.Name, new PromptConfigurationException(source, problem));
                return false;
            }

            _prompts.Add(prompt.Name, prompt);
            _promptFunctions = null;
        }

        _logger.LogDebug("Loaded prompt '{Prompt}' from {Source}.", prompt.Name, source ?? "code");
        return true;
    }

    /// <inheritdoc />
    public bool TryGetPrompt(string name, [NotNullWhen(true)] out AIFunction? prompt)
    {
        var found = TryGetPromptFunction(name, out var function);
        prompt = function;
        return found;
    }

    /// <summary>Looks a prompt function up by name (case-insensitive).</summary>
    /// <param name="name">The prompt's name.</param>
    /// <param name="prompt">The prompt, when found.</param>
    /// <returns><see langword="true"/> when found.</returns>
    public bool TryGetPromptFunction(string name, [NotNullWhen(true)] out PromptFunction? prompt)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_gate)
        {
            return _prompts.TryGetValue(name, out prompt);
        }
    }

    private PromptFunction? Fail(string source, Exception exception)
    {
        if (_options.Strict)
        {
            if (exception is PromptException)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception).Throw();
            }

            throw new PromptConfigurationException(source, exception.Message, innerException: exception);
        }

        lock (_gate)
        {
            _errors.Add(new PromptLoadError(source, exception.Message, exception));
        }

        _logger.LogWarning(exception, "Prompt {Source} was not loaded: {Message}", source, exception.Message);
        return null;
    }
}
