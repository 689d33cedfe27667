using System.Text.Json;
using System.Text.Json.Nodes;

namespace SkAgents.Notebooks.Tests;

/// <summary>The runner itself: state flows from cell to cell, marked cells are skipped and counted, failures name the cell.</summary>
[Collection(NotebookTestGroup.Name)]
public sealed class NotebookRunnerTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "skagents-notebook-runner-" + Guid.NewGuid().ToString("N")[..12]);

    public NotebookRunnerTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Writes a Polyglot notebook: markdown cells are strings starting with "# ", the rest are C# cells.</summary>
    private Notebook Write(params string[] cells)
    {
        var array = new JsonArray();
        foreach (var cell in cells)
        {
            var split = cell.Split('\n');
            var lines = new JsonArray([.. split.Select(JsonNode? (l, i) => JsonValue.Create(i < split.Length - 1 ? l + "\n" : l))]);
            array.Add(cell.StartsWith("# ", StringComparison.Ordinal)
                ? new JsonObject { ["cell_type"] = "markdown", ["metadata"] = new JsonObject(), ["source"] = lines }
                : new JsonObject
                {
                    ["cell_type"] = "code",
                    ["execution_count"] = null,
                    ["metadata"] = new JsonObject
                    {
                        ["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" },
                        ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" },
                    },
                    ["outputs"] = new JsonArray(),
                    ["source"] = lines,
                });
        }

        var notebook = new JsonObject
        {
            ["cells"] = array,
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" },
                ["language_info"] = new JsonObject { ["name"] = "polyglot-notebook" },
                ["polyglot_notebook"] = new JsonObject { ["kernelInfo"] = new JsonObject { ["defaultKernelName"] = "csharp" } },
            },
            ["nbformat"] = 4,
            ["nbformat_minor"] = 2,
        };
        var path = Path.Combine(_folder, "test.ipynb");
        File.WriteAllText(path, notebook.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return Notebook.Load(path);
    }

    [Fact]
    public async Task State_flows_between_cells_and_marked_cells_are_skipped_and_counted()
    {
        var notebook = Write(
            "# Title",
            "#r \"nuget: SkAgents.Abstractions, 0.1.0\"\n#i \"nuget: /somewhere/packages\"\nusing SkAgents.Plugins;\nvar name = ToolNames.Combine(\"time\", \"now\");",
            "// notebook-test: skip — needs Microsoft.SemanticKernel from nuget.org\n#r \"nuget: Microsoft.SemanticKernel, 1.80.0\"\nthis would not even compile",
            "Console.WriteLine($\"tool {name}\");\nvar length = name.Length;");

        var run = await NotebookRunner.RunAsync(notebook);

        Assert.Equal(2, run.ExecutedCells);
        Assert.Equal(1, run.SkippedCells);
        Assert.Equal("time_now", run.Variable<string>("name"));
        Assert.Equal(8, run.Variable<int>("length"));
        Assert.Contains("tool time_now", run.Output, StringComparison.Ordinal);
        Assert.Equal(["SkAgents.Abstractions"], run.Packages);
    }

    [Fact]
    public async Task An_unmarked_nuget_org_reference_fails_and_names_the_package_and_the_cell()
    {
        var notebook = Write("# Title", "var x = 1;", "#r \"nuget: Microsoft.SemanticKernel, 1.80.0\"\nvar y = 2;");

        Assert.Equal(["Microsoft.SemanticKernel"], NotebookRunner.UnmappedPackages(notebook));
        var error = await Assert.ThrowsAsync<NotebookCellException>(() => NotebookRunner.RunAsync(notebook));
        Assert.Contains("test.ipynb cell 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("Microsoft.SemanticKernel", error.Message, StringComparison.Ordinal);
        Assert.Contains(NotebookCell.SkipMarker, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_package_version_other_than_the_built_one_fails()
    {
        Assert.Equal("0.1.0", NotebookRunner.BuiltVersion(NotebookRunner.MapPackage("SkAgents.Abstractions")!));
        Assert.Equal("2.3.1", NotebookRunner.BuiltVersion(NotebookRunner.MapPackage("ModelContextProtocol")!));
        var notebook = Write("# Title", "#r \"nuget: SkAgents.Abstractions, 9.9.9\"\nvar x = 1;");

        var error = await Assert.ThrowsAsync<NotebookCellException>(() => NotebookRunner.RunAsync(notebook));
        Assert.Contains("test.ipynb cell 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("9.9.9", error.Message, StringComparison.Ordinal);
        Assert.Contains("0.1.0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cell_that_throws_or_does_not_compile_fails_with_the_notebook_and_cell()
    {
        var throwing = Write("# Title", "var x = 1;", "throw new InvalidOperationException(\"the model folder is missing\");");
        var thrown = await Assert.ThrowsAsync<NotebookCellException>(() => NotebookRunner.RunAsync(throwing));
        Assert.Contains("test.ipynb cell 3 threw InvalidOperationException: the model folder is missing", thrown.Message, StringComparison.Ordinal);

        var broken = Write("# Title", "var x = 1;", "var y = x.NoSuchMember;");
        var compile = await Assert.ThrowsAsync<NotebookCellException>(() => NotebookRunner.RunAsync(broken));
        Assert.Contains("test.ipynb cell 3 does not compile", compile.Message, StringComparison.Ordinal);
        Assert.Contains("NoSuchMember", compile.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_package_is_needed_for_its_types_as_in_polyglot()
    {
        // Without #r, the SkAgents assemblies are not referenced, even though the test process has them loaded.
        var notebook = Write("# Title", "using SkAgents.Plugins;\nvar name = ToolNames.Combine(\"time\", \"now\");");

        var error = await Assert.ThrowsAsync<NotebookCellException>(() => NotebookRunner.RunAsync(notebook));
        Assert.Contains("does not compile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_magic_commands_are_refused_rather_than_ignored()
    {
        var notebook = Write("# Title", "#!time\nvar x = 1;");

        var error = await Assert.ThrowsAsync<NotebookCellException>(() => NotebookRunner.RunAsync(notebook));
        Assert.Contains("#!time", error.Message, StringComparison.Ordinal);
    }
}
