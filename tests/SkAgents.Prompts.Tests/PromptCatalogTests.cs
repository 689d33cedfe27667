using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using SkAgents.Testing;

namespace SkAgents.Prompts.Tests;

public sealed class PromptCatalogTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("prompt-catalog-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string Write(string relativePath, string yaml)
    {
        var path = Path.Combine(_directory.FullName, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void A_broken_file_is_recorded_and_the_others_still_load()
    {
        Write("beta.yaml", "name: beta\ntemplate: B\n");
        Write("alpha.yml", "name: alpha\ntemplate: A\n");
        var broken = Write("broken.yaml", "name: broken\ntemplate: x\nunknown_key: 1\n");
        Write("notes.txt", "not a prompt");
        using var logs = new RecordingLoggerFactory();

        var catalog = PromptCatalog.LoadDirectory(_directory.FullName, new ScriptedChatClient(), options: new PromptCatalogOptions { LoggerFactory = logs });

        Assert.Equal(["alpha", "beta"], catalog.Prompts.Select(p => p.Name));
        var error = Assert.Single(catalog.Errors);
        Assert.Equal(broken, error.Source);
        Assert.Contains("Unknown key 'unknown_key'", error.Message, StringComparison.Ordinal);
        var configurationError = Assert.IsType<PromptConfigurationException>(error.Exception);
        Assert.Equal(3, configurationError.Line);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("broken", StringComparison.Ordinal));
    }

    [Fact]
    public void Strict_mode_throws_on_a_broken_file()
    {
        Write("good.yaml", "name: good\ntemplate: G\n");
        Write("bad.yaml", "name: bad\ntemplate: '{{$}}'\n");

        var ex = Assert.Throws<PromptConfigurationException>(() => PromptCatalog.LoadDirectory(_directory.FullName, null, options: new PromptCatalogOptions { Strict = true }));

        Assert.EndsWith("bad.yaml", ex.SourceName, StringComparison.Ordinal);
        Assert.IsType<PromptTemplateException>(ex.InnerException);
    }

    [Fact]
    public void Duplicate_names_keep_the_first_and_report_the_second()
    {
        Write("a.yaml", "name: same\ndescription: first\ntemplate: 1\n");
        var second = Write("b.yaml", "name: same\ndescription: second\ntemplate: 2\n");

        var catalog = PromptCatalog.LoadDirectory(_directory.FullName, null);

        Assert.Equal("first", Assert.Single(catalog.Prompts).Description);
        var error = Assert.Single(catalog.Errors);
        Assert.Equal(second, error.Source);
        Assert.Contains("already loaded", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Strict_mode_throws_on_duplicate_names()
    {
        var catalog = new PromptCatalog(options: new PromptCatalogOptions { Strict = true });
        catalog.AddYaml("name: dup\ntemplate: 1", "one.yaml");

        var ex = Assert.Throws<PromptConfigurationException>(() => catalog.AddYaml("name: DUP\ntemplate: 2", "two.yaml"));

        Assert.Contains("already loaded", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recursive_loading_reads_subfolders()
    {
        Write("top.yaml", "name: top\ntemplate: T\n");
        Write(Path.Combine("nested", "deep.yaml"), "name: deep\ntemplate: D\n");

        var flat = PromptCatalog.LoadDirectory(_directory.FullName, null);
        var recursive = PromptCatalog.LoadDirectory(_directory.FullName, null, options: new PromptCatalogOptions { Recursive = true });

        Assert.Equal(["top"], flat.Prompts.Select(p => p.Name));
        Assert.Equal(["deep", "top"], recursive.Prompts.Select(p => p.Name));
    }

    [Fact]
    public void A_missing_directory_throws()
    {
        Assert.Throws<DirectoryNotFoundException>(() => PromptCatalog.LoadDirectory(Path.Combine(_directory.FullName, "absent"), null));
    }

    [Fact]
    public async Task Lookups_are_case_insensitive_and_prompts_run_with_the_catalog_client()
    {
        Write("echo.yaml", "name: Echo\ntemplate: 'Say {{$input}}'\n");
        var client = new ScriptedChatClient("said");
        IPromptCatalog catalog = PromptCatalog.LoadDirectory(_directory.FullName, client);

        Assert.True(catalog.TryGetPrompt("echo", out var prompt));
        Assert.False(catalog.TryGetPrompt("nope", out _));
        Assert.Equal("said", await prompt.InvokeAsync(new AIFunctionArguments { ["input"] = "hi" }));
        Assert.Equal("Say hi", client.Requests[0].Messages[0].Text);
        Assert.True(((PromptCatalog)catalog).TryGetPromptFunction("ECHO", out var function));
        Assert.Same(prompt, function);
    }

    [Fact]
    public void Get_prompt_lists_the_loaded_names_when_not_found()
    {
        var catalog = PromptCatalog.FromYaml([new("x.yaml", "name: x\ntemplate: X"), new("y.yaml", "name: y\ntemplate: Y")]);

        var ex = Assert.Throws<KeyNotFoundException>(() => catalog.GetPrompt("z"));

        Assert.Contains("x, y", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_catalog_has_no_prompts_or_errors()
    {
        var catalog = new PromptCatalog();

        Assert.Empty(catalog.Prompts);
        Assert.Empty(catalog.Errors);
        Assert.Contains("none", Assert.Throws<KeyNotFoundException>(() => catalog.GetPrompt("any")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Adds_streams_files_yaml_and_functions()
    {
        var catalog = new PromptCatalog();
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes("template: from a stream"));

        var streamed = catalog.AddStream(stream, "streamed.yaml");
        var file = catalog.AddFile(Write("filed.yaml", "template: from a file"));
        var yaml = catalog.AddYaml("name: texted\ntemplate: from text");
        var added = catalog.Add(PromptFunction.FromYaml("name: coded\ntemplate: from code"));
        var missing = catalog.AddFile(Path.Combine(_directory.FullName, "missing.yaml"));

        Assert.Equal("streamed", streamed!.Name);
        Assert.Equal("filed", file!.Name);
        Assert.Equal("texted", yaml!.Name);
        Assert.True(added);
        Assert.Null(missing);
        Assert.Equal(["coded", "filed", "streamed", "texted"], catalog.PromptFunctions.Select(p => p.Name));
        Assert.Contains("could not be read", Assert.Single(catalog.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Catalog_options_reach_every_prompt()
    {
        var shout = AIFunctionFactory.Create((string input) => input.ToUpperInvariant(), "text_shout");
        var fast = new ScriptedChatClient("fast answer");
        var services = new TestServices().AddKeyed<IChatClient>("fast", fast);
        var catalog = PromptCatalog.FromYaml(
            [new("p.yaml", "name: p\ntemplate: '{{text.shout $input}} {{$raw}}'\nexecution_settings:\n  fast:\n    temperature: 0.9\n")],
            chatClient: null,
            templateFunctions: [shout],
            options: new PromptCatalogOptions { ServiceId = "fast", AllowDangerouslySetContent = true });

        var result = await catalog.GetPrompt("p").InvokeAsync(new AIFunctionArguments { ["input"] = "quiet", ["raw"] = "<i>", Services = services });

        Assert.Equal("fast answer", result);
        var (messages, options) = Assert.Single(fast.Requests);
        Assert.Equal("QUIET <i>", messages[0].Text);
        Assert.Equal(0.9f, options!.Temperature);
    }

    [Fact]
    public void Default_directory_is_next_to_the_application()
    {
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "prompts"), PromptCatalog.DefaultDirectory);
        Assert.True(Directory.Exists(PromptCatalog.DefaultDirectory), "the shipped prompts are copied to the output");
    }
}
