using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;

namespace SkAgents.Notebooks.Tests;

/// <summary>A cell that failed, with the notebook, the cell and the reason.</summary>
internal sealed class NotebookCellException : Exception
{
    public NotebookCellException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>What a notebook run left behind: its variables, its console output, and the cells it ran and skipped.</summary>
internal sealed class NotebookRun
{
    public required string Notebook { get; init; }

    public required ScriptState<object>? State { get; init; }

    public required string Output { get; init; }

    public required int ExecutedCells { get; init; }

    public required int SkippedCells { get; init; }

    public required IReadOnlyList<string> Packages { get; init; }

    /// <summary>The value of a script variable (the last one of that name, as a later cell's declaration shadows an earlier one).</summary>
    public T Variable<T>(string name)
    {
        var variable = State?.Variables.LastOrDefault(v => v.Name == name)
            ?? throw new KeyNotFoundException($"{Notebook} defines no variable '{name}'.");
        return variable.Value is T value ? value : throw new InvalidCastException($"{Notebook}: '{name}' is a {variable.Type}, not a {typeof(T)}.");
    }
}

/// <summary>
/// Runs a notebook's C# cells in order with Roslyn scripting, as the Polyglot C# kernel does: one submission per cell,
/// each continuing the previous one's state. <c>#r "nuget: Id, Version"</c> lines are mapped to the assemblies this
/// test already references (the package's assembly and its dependencies), <c>#i "nuget: …"</c> source lines are
/// dropped, and cells whose first line is <see cref="NotebookCell.SkipMarker"/> are skipped and counted.
/// </summary>
internal static partial class NotebookRunner
{
    /// <summary>
    /// Namespaces a notebook may use without a <c>using</c>: a conservative subset of what the Polyglot C# kernel imports
    /// by default, so notebooks that pass here also run there.
    /// </summary>
    private static readonly string[] DefaultImports = ["System", "System.Collections.Generic", "System.Linq", "System.Threading.Tasks"];

    private static readonly ConcurrentDictionary<string, MetadataReference> References = new(StringComparer.Ordinal);

    private static readonly Lazy<IReadOnlyList<MetadataReference>> Framework = new(() =>
    {
        // The .NET runtime's own assemblies (what a notebook sees without any #r); not ASP.NET Core's shared framework.
        var runtime = Path.GetFullPath(RuntimeEnvironment.GetRuntimeDirectory());
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFullPath(p).StartsWith(runtime, StringComparison.Ordinal) && p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase));
        return [.. paths.Select(Reference)];
    });

    [GeneratedRegex("""^\s*#r\s+"nuget:\s*(?<id>[^,"\s]+)\s*(,\s*(?<version>[^"]*?))?\s*"\s*$""")]
    private static partial Regex NuGetReference();

    [GeneratedRegex("""^\s*#i\s+"nuget:[^"]*"\s*$""")]
    private static partial Regex NuGetSource();

    [GeneratedRegex("""^\s*#(r|i|!)\b""")]
    private static partial Regex OtherDirective();

    /// <summary>Maps a package id to the assembly a notebook gets from it; null when the test cannot supply it.</summary>
    public static Assembly? MapPackage(string id)
    {
        // Every SkAgents package is one assembly of the same name; ModelContextProtocol brings ModelContextProtocol(.Core).
        if (id.StartsWith("SkAgents.", StringComparison.Ordinal) || id is "ModelContextProtocol" or "ModelContextProtocol.Core")
        {
            try
            {
                return Assembly.Load(new AssemblyName(id));
            }
            catch (FileNotFoundException)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>The unmapped <c>#r "nuget:"</c> references of cells that are not marked to be skipped.</summary>
    public static IReadOnlyList<string> UnmappedPackages(Notebook notebook) =>
        [.. notebook.Cells.Where(c => c.IsCode && !c.IsMarkedSkip)
            .SelectMany(c => c.Source.Split('\n'))
            .Select(l => NuGetReference().Match(l))
            .Where(m => m.Success && MapPackage(m.Groups["id"].Value) is null)
            .Select(m => m.Groups["id"].Value)];

    /// <summary>Runs every C# cell of the notebook that is not marked to be skipped.</summary>
    /// <param name="notebook">The notebook.</param>
    /// <returns>The run.</returns>
    /// <exception cref="NotebookCellException">A cell failed to compile or threw; the message names the notebook and the cell.</exception>
    public static async Task<NotebookRun> RunAsync(Notebook notebook)
    {
        var options = ScriptOptions.Default
            .WithReferences(Framework.Value)
            .WithImports(DefaultImports)
            .WithLanguageVersion(LanguageVersion.Latest)
            .WithEmitDebugInformation(false);
        var output = new StringBuilder();
        var writer = TextWriter.Synchronized(new StringWriter(output));
        var originalOut = Console.Out;
        ScriptState<object>? state = null;
        int executed = 0, skipped = 0;
        var packages = new List<string>();
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        Console.SetOut(writer);
        try
        {
            foreach (var cell in notebook.Cells.Where(c => c.IsCode))
            {
                if (cell.IsMarkedSkip)
                {
                    skipped++;
                    continue;
                }

                if (cell.Kernel is not "csharp")
                {
                    throw new NotebookCellException($"{notebook.Name} cell {cell.Index}: kernel '{cell.Kernel}' is not C#; only C# cells can be run here (mark the cell with '{NotebookCell.SkipMarker} — <why>').");
                }

                var code = new StringBuilder();
                foreach (var line in cell.Source.Split('\n'))
                {
                    var reference = NuGetReference().Match(line);
                    if (reference.Success)
                    {
                        var id = reference.Groups["id"].Value;
                        var assembly = MapPackage(id) ?? throw new NotebookCellException(
                            $"{notebook.Name} cell {cell.Index}: '#r \"nuget: {id}\"' is not a package this test can supply. Mark the cell with '{NotebookCell.SkipMarker} — needs {id} from nuget.org' as its first line.");
                        var version = reference.Groups["version"].Value.Trim();
                        var built = BuiltVersion(assembly);
                        if (version.Length > 0 && built is not null && !string.Equals(version, built, StringComparison.OrdinalIgnoreCase))
                        {
                            throw new NotebookCellException(
                                $"{notebook.Name} cell {cell.Index}: '#r \"nuget: {id}, {version}\"' asks for version {version}, but the repository builds {id} {built}. Reference {built}.");
                        }

                        packages.Add(id);
                        var added = Closure(assembly).Where(a => referenced.Add(a.Location)).Select(a => Reference(a.Location)).ToList();
                        options = options.AddReferences(added);
                        code.Append('\n'); // keep line numbers
                        continue;
                    }

                    if (NuGetSource().IsMatch(line))
                    {
                        code.Append('\n');
                        continue;
                    }

                    if (OtherDirective().IsMatch(line))
                    {
                        throw new NotebookCellException($"{notebook.Name} cell {cell.Index}: the directive '{line.Trim()}' is not supported by the notebook test (only #r \"nuget: …\" and #i \"nuget: …\").");
                    }

                    code.Append(line).Append('\n');
                }

                writer.WriteLine($"── cell {cell.Index} ──");
                try
                {
                    state = state is null
                        ? await CSharpScript.RunAsync(code.ToString(), options)
                        : await state.ContinueWithAsync(code.ToString(), options);
                }
                catch (CompilationErrorException ex)
                {
                    throw new NotebookCellException($"{notebook.Name} cell {cell.Index} does not compile:\n{string.Join("\n", ex.Diagnostics)}\n--- cell ---\n{cell.Source}", ex);
                }
                catch (Exception ex) when (ex is not NotebookCellException)
                {
                    throw new NotebookCellException($"{notebook.Name} cell {cell.Index} threw {ex.GetType().Name}: {ex.Message}\n--- cell ---\n{cell.Source}\n--- output so far ---\n{output}", ex);
                }

                if (state.ReturnValue is { } value)
                {
                    writer.WriteLine(value);
                }

                executed++;
            }
        }
        catch (NotebookCellException)
        {
            // The notebook's own clean-up cell will not run: release what its cells opened (servers, models, files).
            await DisposeVariablesAsync(state);
            throw;
        }
        finally
        {
            Console.SetOut(originalOut);
        }

        return new NotebookRun
        {
            Notebook = notebook.Name,
            State = state,
            Output = output.ToString(),
            ExecutedCells = executed,
            SkippedCells = skipped,
            Packages = packages,
        };
    }

    private static async Task DisposeVariablesAsync(ScriptState<object>? state)
    {
        foreach (var variable in (state?.Variables ?? []).Reverse())
        {
            try
            {
                switch (variable.Value)
                {
                    case IAsyncDisposable asyncDisposable:
                        await asyncDisposable.DisposeAsync();
                        break;
                    case IDisposable disposable:
                        disposable.Dispose();
                        break;
                }
            }
            catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException or IOException)
            {
                // Already closed by the notebook, or broken by the failure being reported.
            }
        }
    }

    /// <summary>The package version an assembly was built as (its informational version without the commit).</summary>
    public static string? BuiltVersion(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];

    private static MetadataReference Reference(string path) => References.GetOrAdd(path, p => MetadataReference.CreateFromFile(p));

    /// <summary>An assembly and, transitively, the non-runtime assemblies it references: what restoring its package gives.</summary>
    private static IEnumerable<Assembly> Closure(Assembly root)
    {
        var runtime = Path.GetFullPath(RuntimeEnvironment.GetRuntimeDirectory());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<Assembly>([root]);
        while (queue.Count > 0)
        {
            var assembly = queue.Dequeue();
            if (!seen.Add(assembly.GetName().Name!) || string.IsNullOrEmpty(assembly.Location)
                || Path.GetFullPath(assembly.Location).StartsWith(runtime, StringComparison.Ordinal))
            {
                continue;
            }

            yield return assembly;
            foreach (var name in assembly.GetReferencedAssemblies())
            {
                Assembly? dependency;
                try
                {
                    dependency = Assembly.Load(name);
                }
                catch (FileNotFoundException)
                {
                    continue;
                }

                queue.Enqueue(dependency);
            }
        }
    }
}
