using System.Text.Json;

namespace SkAgents.Notebooks.Tests;

/// <summary>One cell of a Polyglot notebook.</summary>
/// <param name="Index">The cell's position in the notebook, 1-based (markdown cells count too, as the editor shows them).</param>
/// <param name="Kind">"code" or "markdown".</param>
/// <param name="Kernel">The kernel a code cell runs in (e.g. "csharp"); null for markdown.</param>
/// <param name="Source">The cell's text.</param>
internal sealed record NotebookCell(int Index, string Kind, string? Kernel, string Source)
{
    /// <summary>The marker that a cell needs something the test cannot supply (nuget.org-only packages).</summary>
    public const string SkipMarker = "// notebook-test: skip";

    /// <summary>Gets whether this is a code cell.</summary>
    public bool IsCode => Kind == "code";

    /// <summary>Gets whether the cell's first non-empty line is the skip marker.</summary>
    public bool IsMarkedSkip =>
        Source.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0)?.StartsWith(SkipMarker, StringComparison.Ordinal) == true;
}

/// <summary>A Polyglot (.NET Interactive) notebook read from its .ipynb file.</summary>
internal sealed class Notebook
{
    private Notebook(string path, string defaultKernel, IReadOnlyList<NotebookCell> cells, JsonElement metadata)
    {
        Path = path;
        DefaultKernel = defaultKernel;
        Cells = cells;
        Metadata = metadata;
    }

    /// <summary>Gets the file.</summary>
    public string Path { get; }

    /// <summary>Gets the file name.</summary>
    public string Name => System.IO.Path.GetFileName(Path);

    /// <summary>Gets the notebook's default kernel (polyglot_notebook.kernelInfo.defaultKernelName).</summary>
    public string DefaultKernel { get; }

    /// <summary>Gets the cells in order.</summary>
    public IReadOnlyList<NotebookCell> Cells { get; }

    /// <summary>Gets the notebook metadata.</summary>
    public JsonElement Metadata { get; }

    /// <summary>Reads a notebook.</summary>
    /// <param name="path">The .ipynb file.</param>
    /// <returns>The notebook.</returns>
    /// <exception cref="InvalidDataException">The file is not an nbformat 4 notebook.</exception>
    public static Notebook Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        if (!root.TryGetProperty("nbformat", out var format) || format.GetInt32() != 4 || !root.TryGetProperty("cells", out var cellsJson))
        {
            throw new InvalidDataException($"{path} is not an nbformat 4 notebook (no \"nbformat\": 4 or no \"cells\").");
        }

        var metadata = root.GetProperty("metadata").Clone();
        var defaultKernel = metadata.TryGetProperty("polyglot_notebook", out var polyglot)
            && polyglot.TryGetProperty("kernelInfo", out var info)
            && info.TryGetProperty("defaultKernelName", out var name)
            ? name.GetString() ?? "csharp"
            : "csharp";

        var cells = new List<NotebookCell>();
        int index = 0;
        foreach (var cell in cellsJson.EnumerateArray())
        {
            index++;
            var kind = cell.GetProperty("cell_type").GetString() ?? "raw";
            var source = cell.GetProperty("source") is { ValueKind: JsonValueKind.Array } lines
                ? string.Concat(lines.EnumerateArray().Select(l => l.GetString()))
                : cell.GetProperty("source").GetString() ?? string.Empty;
            string? kernel = null;
            if (kind == "code")
            {
                kernel = cell.TryGetProperty("metadata", out var m) && m.TryGetProperty("polyglot_notebook", out var p) && p.TryGetProperty("kernelName", out var k)
                    ? k.GetString()
                    : defaultKernel;
            }

            cells.Add(new NotebookCell(index, kind, kernel, source.Replace("\r\n", "\n", StringComparison.Ordinal)));
        }

        return new Notebook(path, defaultKernel, cells, metadata);
    }

    /// <summary>Finds the repository's notebooks/ folder above the test assembly.</summary>
    /// <returns>The folder.</returns>
    public static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "notebooks");
            if (Directory.Exists(candidate) && File.Exists(System.IO.Path.Combine(dir.FullName, "SkAgents.sln")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"No notebooks/ folder next to SkAgents.sln above {AppContext.BaseDirectory}.");
    }
}
