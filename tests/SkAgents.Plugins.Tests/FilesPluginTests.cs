using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.Plugins;
using SkAgents.Plugins.Files;

namespace SkAgents.Plugins.Tests;

public sealed class FilesPluginTests : IDisposable
{
    private readonly string _root;
    private readonly string _outside;

    public FilesPluginTests()
    {
        var temp = Path.Combine(Path.GetTempPath(), "skagents-files-" + Guid.NewGuid().ToString("N"));
        _root = Path.Combine(temp, "root");
        _outside = Path.Combine(temp, "outside");
        Directory.CreateDirectory(Path.Combine(_root, "docs", "deep"));
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_root, "readme.md"), "# Title\nline two\nline three\n");
        File.WriteAllText(Path.Combine(_root, "docs", "notes.txt"), "alpha\nBeta gamma\n");
        File.WriteAllText(Path.Combine(_root, "docs", "deep", "plan.md"), "the BETA plan\n");
        File.WriteAllBytes(Path.Combine(_root, "image.bin"), [0x89, 0x50, 0x00, 0x01]);
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), "top secret");
    }

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_root)!, recursive: true);

    private FilesPlugin Plugin(long maxRead = 1024 * 1024) => new(new FilesPluginOptions { RootDirectory = _root, MaxReadBytes = maxRead, MaxWriteBytes = 64 });

    [Fact]
    public void Missing_root_is_a_clear_error()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() => new FilesPlugin(new FilesPluginOptions { RootDirectory = Path.Combine(_root, "nope") }));
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void List_shows_entries_relative_to_the_root()
    {
        var listing = Plugin().List();
        Assert.Equal(".", listing.Folder);
        Assert.Equal(["docs", "image.bin", "readme.md"], listing.Entries.Select(e => e.Path));
        Assert.Equal("directory", listing.Entries[0].Kind);
        Assert.Equal(4, listing.Entries[1].Size);

        var markdown = Plugin().List(".", "*.md", recursive: true);
        Assert.Equal(["docs", "docs/deep", "docs/deep/plan.md", "readme.md"], markdown.Entries.Select(e => e.Path));
        Assert.False(markdown.Truncated);
    }

    [Fact]
    public async Task Read_returns_text_and_line_ranges()
    {
        var all = await Plugin().ReadAsync("readme.md");
        Assert.Equal("# Title\nline two\nline three\n", all.Text);
        Assert.Equal(3, all.TotalLines);

        var range = await Plugin().ReadAsync("readme.md", startLine: 2, maxLines: 1);
        Assert.Equal("line two", range.Text);
        Assert.Equal(2, range.FirstLine);
        Assert.Equal(2, range.LastLine);
    }

    [Theory]
    [InlineData("../outside/secret.txt")]
    [InlineData("docs/../../outside/secret.txt")]
    public async Task Paths_leaving_the_root_are_refused(string path)
    {
        var error = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Plugin().ReadAsync(path));
        Assert.Contains("outside the allowed folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Absolute_paths_outside_the_root_are_refused()
    {
        var error = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Plugin().ReadAsync(Path.Combine(_outside, "secret.txt")));
        Assert.Contains("outside the allowed folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Symbolic_links_pointing_outside_are_refused_for_read_and_write()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "link.txt"), Path.Combine(_outside, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "escape"), _outside);

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Plugin().ReadAsync("link.txt"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Plugin().ReadAsync("escape/secret.txt"));
        var write = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Plugin().WriteAsync("escape/new.txt", "x"));
        Assert.Contains("symbolic link", write.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_outside, "new.txt")));
    }

    [Fact]
    public async Task Missing_binary_and_oversized_files_get_clear_errors()
    {
        var missing = await Assert.ThrowsAsync<FileNotFoundException>(() => Plugin().ReadAsync("nope.txt"));
        Assert.Contains("no file 'nope.txt'", missing.Message, StringComparison.Ordinal);

        var binary = await Assert.ThrowsAsync<InvalidDataException>(() => Plugin().ReadAsync("image.bin"));
        Assert.Contains("binary", binary.Message, StringComparison.Ordinal);

        var big = await Assert.ThrowsAsync<IOException>(() => Plugin(maxRead: 5).ReadAsync("readme.md"));
        Assert.Contains("at most 5 bytes", big.Message, StringComparison.Ordinal);

        var folder = await Assert.ThrowsAsync<IOException>(() => Plugin().ReadAsync("docs"));
        Assert.Contains("is a folder", folder.Message, StringComparison.Ordinal);

        File.WriteAllBytes(Path.Combine(_root, "latin1.txt"), [0x63, 0x61, 0x66, 0xE9]);
        var encoding = await Assert.ThrowsAsync<InvalidDataException>(() => Plugin().ReadAsync("latin1.txt"));
        Assert.Contains("not valid UTF-8", encoding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_finds_lines_case_insensitively_and_skips_binaries()
    {
        var results = await Plugin().SearchAsync("beta");
        Assert.Equal([("docs/deep/plan.md", 1), ("docs/notes.txt", 2)], results.Matches.Select(m => (m.Path, m.Line)));
        Assert.Equal("Beta gamma", results.Matches[1].Text);

        var limited = await Plugin().SearchAsync("line", "*.md", maxResults: 1);
        Assert.Equal(("readme.md", 2), (limited.Matches.Single().Path, limited.Matches.Single().Line));
        Assert.True(limited.Truncated);

        var all = await Plugin().SearchAsync("line", "*.md");
        Assert.Equal(2, all.Matches.Count);
        Assert.False(all.Truncated);
    }

    [Fact]
    public async Task Write_creates_files_atomically_and_refuses_to_overwrite_by_default()
    {
        var plugin = Plugin();
        var written = await plugin.WriteAsync("out/new.txt", "héllo");
        Assert.Equal("out/new.txt", written.Path);
        Assert.Equal(6, written.Bytes);
        Assert.False(written.Replaced);
        Assert.Equal("héllo", File.ReadAllText(Path.Combine(_root, "out", "new.txt"), Encoding.UTF8));

        var exists = await Assert.ThrowsAsync<IOException>(() => plugin.WriteAsync("out/new.txt", "again"));
        Assert.Contains("already exists", exists.Message, StringComparison.Ordinal);
        Assert.Equal("héllo", File.ReadAllText(Path.Combine(_root, "out", "new.txt")));

        var replaced = await plugin.WriteAsync("out/new.txt", "again", overwrite: true);
        Assert.True(replaced.Replaced);
        Assert.Equal("again", File.ReadAllText(Path.Combine(_root, "out", "new.txt")));

        var tooBig = await Assert.ThrowsAsync<IOException>(() => plugin.WriteAsync("big.txt", new string('x', 65)));
        Assert.Contains("at most 64 bytes", tooBig.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root, "big.txt")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "out"), "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task As_a_plugin_write_requires_approval_and_read_does_not()
    {
        var plugin = AgentPlugin.FromObject(Plugin());
        Assert.Equal(["files_list", "files_read", "files_search", "files_write"], plugin.Functions.Select(f => f.Name));
        Assert.True(plugin.Functions.Single(f => f.Name == "files_write").RequiresApproval());
        Assert.False(plugin.Functions.Single(f => f.Name == "files_read").RequiresApproval());

        var read = plugin.Functions.Single(f => f.Name == "files_read");
        Assert.Equal(["path"], read.JsonSchema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        var result = (JsonElement)(await read.InvokeAsync(new AIFunctionArguments { ["path"] = "docs/notes.txt" }))!;
        Assert.Equal("alpha\nBeta gamma\n", result.GetProperty("text").GetString());
    }
}
