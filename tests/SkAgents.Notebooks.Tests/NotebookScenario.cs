namespace SkAgents.Notebooks.Tests;

/// <summary>
/// What one notebook needs to run here, and what it must have done: the environment variables it reads (pointing at
/// factory-made model folders and loopback servers), and checks on its variables and output afterwards.
/// </summary>
internal abstract class NotebookScenario : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _resources = [];

    protected NotebookScenario(string work) => Work = work;

    /// <summary>Gets a fresh folder for this notebook's files.</summary>
    protected string Work { get; }

    /// <summary>Gets the environment the notebook runs in (null values unset the variable).</summary>
    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets how many cells the notebook marks as needing nuget.org-only packages (so marking more cells fails the test).</summary>
    public virtual int ExpectedSkippedCells => 0;

    /// <summary>Starts servers, writes model folders and fills <see cref="Environment"/>.</summary>
    public abstract Task StartAsync();

    /// <summary>Checks what the notebook did.</summary>
    public abstract void Verify(NotebookRun run);

    /// <summary>Keeps a resource until the scenario ends.</summary>
    protected T Own<T>(T resource)
        where T : IAsyncDisposable
    {
        _resources.Add(resource);
        return resource;
    }

    /// <summary>A sub-folder of <see cref="Work"/>.</summary>
    protected string Folder(string name)
    {
        var path = Path.Combine(Work, name);
        Directory.CreateDirectory(path);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = _resources.Count - 1; i >= 0; i--)
        {
            await _resources[i].DisposeAsync();
        }
    }
}
