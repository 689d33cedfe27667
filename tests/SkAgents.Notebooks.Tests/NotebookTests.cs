using Xunit.Abstractions;

namespace SkAgents.Notebooks.Tests;

/// <summary>
/// Runs every notebook in notebooks/ cell by cell against factory-made models and loopback servers, so the notebooks
/// cannot rot. One class, so the notebooks (which read process-wide environment variables and write to the console)
/// run one after another.
/// </summary>
[Collection(NotebookTestGroup.Name)]
public sealed class NotebookTests(ITestOutputHelper output)
{
    public static TheoryData<string> NotebookNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in Directory.GetFiles(Notebook.FindFolder(), "*.ipynb").Select(Path.GetFileName).Order(StringComparer.Ordinal))
        {
            data.Add(name!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(NotebookNames))]
    public async Task The_notebook_runs_cell_by_cell_and_does_what_it_says(string name)
    {
        var notebook = Notebook.Load(Path.Combine(Notebook.FindFolder(), name));
        Assert.True(Scenarios.All.TryGetValue(name, out var create), $"{name} has no scenario in Scenarios.All; add one that supplies its environment and checks its results.");
        Assert.Empty(NotebookRunner.UnmappedPackages(notebook));

        var work = Path.Combine(Path.GetTempPath(), "skagents-notebook-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        var scenario = create!(work);
        var saved = new Dictionary<string, string?>(StringComparer.Ordinal);
        try
        {
            await scenario.StartAsync();
            scenario.Environment.TryAdd("SKAGENTS_NOTEBOOK_WORK", work);
            foreach (var (key, value) in scenario.Environment)
            {
                saved[key] = Environment.GetEnvironmentVariable(key);
                Environment.SetEnvironmentVariable(key, value);
            }

            var run = await NotebookRunner.RunAsync(notebook).WaitAsync(TimeSpan.FromMinutes(3));
            output.WriteLine($"{name}: {run.ExecutedCells} C# cells executed, {run.SkippedCells} skipped (marked '{NotebookCell.SkipMarker}').");
            output.WriteLine($"packages: {string.Join(", ", run.Packages.Distinct())}");
            output.WriteLine(run.Output);

            Assert.True(run.ExecutedCells > 0, $"{name} has no C# cell that runs.");
            Assert.True(scenario.ExpectedSkippedCells == run.SkippedCells, $"{name} skips {run.SkippedCells} cells; its scenario expects {scenario.ExpectedSkippedCells} (only cells that need nuget.org-only packages may be marked).");
            scenario.Verify(run);
        }
        finally
        {
            foreach (var (key, value) in saved)
            {
                Environment.SetEnvironmentVariable(key, value);
            }

            await scenario.DisposeAsync();
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // A file still held by a native library (e.g. SQLite) is left for the OS to clean up.
            }
        }
    }

    [Fact]
    public void Every_notebook_is_a_polyglot_csharp_notebook_with_a_scenario()
    {
        var folder = Notebook.FindFolder();
        var files = Directory.GetFiles(folder, "*.ipynb").Select(Path.GetFileName).ToList();
        Assert.NotEmpty(files);
        Assert.Equal(files.Order(StringComparer.Ordinal), Scenarios.All.Keys.Where(k => files.Contains(k)).Order(StringComparer.Ordinal));
        Assert.All(files, f => Assert.True(Scenarios.All.ContainsKey(f!), $"{f} has no scenario: the notebook test would not run it."));
        Assert.All(Scenarios.All.Keys, k => Assert.True(files.Contains(k), $"The scenario {k} names no notebook in {folder}."));

        foreach (var file in files)
        {
            var notebook = Notebook.Load(Path.Combine(folder, file!));
            var kernelspec = notebook.Metadata.GetProperty("kernelspec");
            Assert.Equal(".net-csharp", kernelspec.GetProperty("name").GetString());
            Assert.Equal("C#", kernelspec.GetProperty("language").GetString());
            Assert.Equal("polyglot-notebook", notebook.Metadata.GetProperty("language_info").GetProperty("name").GetString());
            Assert.Equal("csharp", notebook.DefaultKernel);
            Assert.All(notebook.Cells.Where(c => c.IsCode), c => Assert.Equal("csharp", c.Kernel));
            Assert.Contains(notebook.Cells, c => c.Kind == "markdown" && c.Source.StartsWith("# ", StringComparison.Ordinal));
            Assert.Empty(NotebookRunner.UnmappedPackages(notebook));
        }
    }

    [Fact]
    public void A_cell_is_skipped_only_with_the_marker_on_its_first_line()
    {
        Assert.True(new NotebookCell(1, "code", "csharp", "\n// notebook-test: skip — needs Microsoft.SemanticKernel from nuget.org\n#r \"nuget: Microsoft.SemanticKernel, 1.80.0\"").IsMarkedSkip);
        Assert.False(new NotebookCell(1, "code", "csharp", "var x = 1;\n// notebook-test: skip").IsMarkedSkip);
        Assert.NotNull(NotebookRunner.MapPackage("SkAgents.Agents"));
        Assert.Null(NotebookRunner.MapPackage("Microsoft.SemanticKernel"));
        Assert.Null(NotebookRunner.MapPackage("SkAgents.NoSuchPackage"));
    }
}

/// <summary>Notebooks read process-wide environment variables and write to the console: their tests never run in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NotebookTestGroup
{
    public const string Name = "notebooks";
}
