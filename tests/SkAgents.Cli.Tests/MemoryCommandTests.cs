using System.Text.Json;

namespace SkAgents.Cli.Tests;

/// <summary><c>skagents memory</c> end to end, as a separate process, with no model and no network.</summary>
public sealed class MemoryCommandTests : IDisposable
{
    private readonly TempDirectory _work = new();

    public MemoryCommandTests()
    {
        _work.Write("docs/handbook.md", "# Holidays\n\nEmployees get 25 days of paid holiday per year. Unused days expire in March.\n\n# Equipment\n\nEvery employee receives a laptop on the first day.\n");
        _work.Write("docs/guide.html", "<html><body><nav>Home | Careers</nav><main><h1>Parking</h1><p>Parking in the north garage is free for staff.</p></main></body></html>");
        _work.Write("docs/data.csv", "city,office\nRome,Via Roma 1\nOslo,Karl Johans gate 2\n");
    }

    public void Dispose() => _work.Dispose();

    private Task<CliResult> Run(params string[] args) => CliProcess.RunAsync(_work.Path, null, null, ["memory", .. args, "--db", "memory.db"]);

    [Fact]
    public async Task Import_then_ask_works_with_no_model_and_no_network()
    {
        var import = await Run("import", "docs");
        Assert.True(import.ExitCode == 0, import.StdErr);
        Assert.Equal("3 imported, 0 unchanged, 0 failed", import.StdOut.Trim());

        var again = await Run("import", "docs");
        Assert.Equal("0 imported, 3 unchanged, 0 failed", again.StdOut.Trim());

        var ask = await Run("ask", "How many days of paid holiday do employees get?", "--json");
        Assert.True(ask.ExitCode == 0, ask.StdErr);
        var answer = JsonDocument.Parse(ask.StdOut).RootElement;
        Assert.False(answer.GetProperty("noResult").GetBoolean());
        Assert.True(answer.GetProperty("extractive").GetBoolean());
        Assert.Contains("25 days of paid holiday", answer.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("[1]", answer.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("handbook.md", answer.GetProperty("sources")[0].GetProperty("sourceName").GetString());

        var unknown = await Run("ask", "Quantum chromodynamics lecture schedule?");
        Assert.StartsWith("I don't know", unknown.StdOut.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_list_and_delete()
    {
        await Run("import", "docs", "--tags", "team=ops");

        var search = await Run("search", "parking garage", "--json");
        Assert.True(search.ExitCode == 0, search.StdErr);
        var hits = JsonDocument.Parse(search.StdOut).RootElement.EnumerateArray().ToList();
        Assert.Equal("guide.html", hits[0].GetProperty("source").GetString());
        Assert.Contains("north garage", hits[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Careers", hits[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.True(hits[0].GetProperty("relevance").GetDouble() > 0);

        var list = await Run("list", "--json");
        var documents = JsonDocument.Parse(list.StdOut).RootElement.EnumerateArray().ToList();
        Assert.Equal(3, documents.Count);
        var guideId = documents.Single(d => d.GetProperty("sourceName").GetString() == "guide.html").GetProperty("documentId").GetString()!;

        var delete = await Run("delete", guideId);
        Assert.True(delete.ExitCode == 0, delete.StdErr);
        var after = await Run("search", "parking garage", "--json");
        Assert.DoesNotContain(JsonDocument.Parse(after.StdOut).RootElement.EnumerateArray(), h => h.GetProperty("source").GetString() == "guide.html");

        var missing = await Run("delete", "no-such-document");
        Assert.Equal(1, missing.ExitCode);
    }

    [Fact]
    public async Task Unsupported_files_fail_without_stopping_the_batch()
    {
        _work.Write("mixed/notes.txt", "The wifi password rotates monthly.");
        File.WriteAllBytes(Path.Combine(_work.Path, "mixed", "photo.png"), [0x89, 0x50, 0x4E, 0x47]);

        var result = await Run("import", "mixed/notes.txt", "mixed/photo.png");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("1 imported, 0 unchanged, 1 failed", result.StdOut.Trim());
        Assert.Contains("photo.png", result.StdErr, StringComparison.Ordinal);
        var search = await Run("search", "wifi password", "--json");
        Assert.Single(JsonDocument.Parse(search.StdOut).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task Web_pages_import_through_the_guarded_fetcher_next_to_files()
    {
        await using var site = await SkAgents.Testing.LoopbackWebSite.StartAsync();
        var page = site.Serve("/menu.html", "<html><head><title>Canteen</title></head><body><nav>Home</nav><main><h1>Canteen menu</h1><p>Lentil soup is served every Thursday.</p></main></body></html>");
        var gone = new Uri(site.BaseUri, "/gone.html");
        var allowLoopback = new Dictionary<string, string> { ["SkAgents__Web__AllowedNetworks__0"] = "127.0.0.1/32" };

        var import = await CliProcess.RunAsync(_work.Path, allowLoopback, null, ["memory", "import", "docs/handbook.md", page.AbsoluteUri, gone.AbsoluteUri, "--db", "memory.db"]);

        Assert.Equal(1, import.ExitCode);
        Assert.Equal("2 imported, 0 unchanged, 1 failed", import.StdOut.Trim());
        Assert.Contains("gone.html", import.StdErr, StringComparison.Ordinal);
        Assert.Contains("404", import.StdErr, StringComparison.Ordinal);
        var hits = JsonDocument.Parse((await Run("search", "lentil soup", "--json")).StdOut).RootElement;
        Assert.Equal("Canteen menu", hits[0].GetProperty("source").GetString());

        // Without the allow-list entry the same URL is refused before any connection.
        var requests = site.Requests.Count;
        var refused = await Run("import", page.AbsoluteUri);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("127.0.0.1", refused.StdErr, StringComparison.Ordinal);
        Assert.Equal(requests, site.Requests.Count);
    }

    [Fact]
    public async Task Search_filters_by_tags_and_indexes_can_be_listed_and_deleted()
    {
        _work.Write("a/draft.md", "# Budget\n\nThe draft budget is twelve thousand euros.");
        _work.Write("b/final.md", "# Budget\n\nThe final budget is ten thousand euros.");
        await Run("import", "a", "--tags", "status=draft", "--index", "finance");
        await Run("import", "b", "--tags", "status=final", "--index", "finance");

        async Task<List<string>> Sources(params string[] extra)
        {
            var result = await Run(["search", "budget euros", "--index", "finance", "--json", .. extra]);
            Assert.True(result.ExitCode == 0, result.StdErr);
            return [.. JsonDocument.Parse(result.StdOut).RootElement.EnumerateArray().Select(h => h.GetProperty("source").GetString()!).Order()];
        }

        Assert.Equal(["draft.md", "final.md"], await Sources());
        Assert.Equal(["final.md"], await Sources("--filter", "status=final"));
        Assert.Equal(["final.md"], await Sources("--filter", "!status=draft"));
        Assert.Empty(await Sources("--min-relevance", "0.99999"));
        Assert.Equal(2, (await Run("search", "budget", "--filter", "nokey")).ExitCode);

        Assert.Equal("finance", (await Run("indexes")).StdOut.Trim());
        var unconfirmed = await Run("delete-index", "finance");
        Assert.Equal(2, unconfirmed.ExitCode);
        Assert.Contains("--yes", unconfirmed.StdErr, StringComparison.Ordinal);
        Assert.Equal(0, (await Run("delete-index", "finance", "--yes")).ExitCode);
        Assert.Equal(string.Empty, (await Run("indexes")).StdOut.Trim());
        Assert.Equal(1, (await Run("delete-index", "finance", "--yes")).ExitCode);
    }
}
