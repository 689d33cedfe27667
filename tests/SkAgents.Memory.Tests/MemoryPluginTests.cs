using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.Memory.Plugin;
using SkAgents.Plugins;

namespace SkAgents.Memory.Tests;

public class MemoryPluginTests
{
    [Fact]
    public async Task Tools_save_search_and_ask()
    {
        var plugin = AgentPlugin.FromObject(new MemoryPlugin(new MemoryService(new InMemoryTestStore())));
        Assert.Equal(["memory_ask", "memory_save_text", "memory_save_web_page", "memory_search"], plugin.Functions.Select(f => f.Name).Order());
        AIFunction Tool(string name) => plugin.Functions.Single(f => f.Name == name);

        var saved = (JsonElement)(await Tool("memory_save_text").InvokeAsync(new AIFunctionArguments { ["text"] = "The office opens at nine.", ["tag"] = "team=ops" }))!;
        Assert.Equal("Imported", saved.GetProperty("status").GetString());

        var found = (JsonElement)(await Tool("memory_search").InvokeAsync(new AIFunctionArguments { ["query"] = "office opens", ["tag"] = "team=ops" }))!;
        Assert.Equal("The office opens at nine.", found[0].GetProperty("text").GetString());
        var filteredOut = (JsonElement)(await Tool("memory_search").InvokeAsync(new AIFunctionArguments { ["query"] = "office opens", ["tag"] = "team=sales" }))!;
        Assert.Equal(0, filteredOut.GetArrayLength());

        var answer = (JsonElement)(await Tool("memory_ask").InvokeAsync(new AIFunctionArguments { ["question"] = "When does the office open?" }))!;
        Assert.Contains("nine", answer.GetProperty("text").GetString(), StringComparison.Ordinal);

        var badTag = await Assert.ThrowsAsync<ArgumentException>(async () => await Tool("memory_search").InvokeAsync(new AIFunctionArguments { ["query"] = "x", ["tag"] = "nokey" }));
        Assert.Contains("key=value", badTag.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Save_web_page_fetches_through_the_guarded_fetcher()
    {
        await using var site = await SkAgents.Testing.LoopbackWebSite.StartAsync();
        var page = site.Serve("/opening-hours.html", "<html><head><title>Hours</title></head><body><main><h1>Opening hours</h1><p>The museum opens at ten on Sundays.</p></main></body></html>");
        var options = new SkAgents.Web.WebFetcherOptions();
        options.AllowedNetworks.Add("127.0.0.1/32");
        using var fetcher = new SkAgents.Web.WebFetcher(options);
        var plugin = AgentPlugin.FromObject(new MemoryPlugin(new MemoryService(new InMemoryTestStore(), webFetcher: fetcher)));
        var save = plugin.Functions.Single(f => f.Name == "memory_save_web_page");

        var saved = (JsonElement)(await save.InvokeAsync(new AIFunctionArguments { ["url"] = page.AbsoluteUri, ["tag"] = "kind=web" }))!;
        Assert.Equal("Imported", saved.GetProperty("status").GetString());
        var found = (JsonElement)(await plugin.Functions.Single(f => f.Name == "memory_search").InvokeAsync(new AIFunctionArguments { ["query"] = "museum Sundays", ["tag"] = "kind=web" }))!;
        Assert.Contains("opens at ten on Sundays", found[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("Opening hours", found[0].GetProperty("source").GetString());

        // Not an absolute URL, and a private address without an allow-list entry: refused, nothing fetched.
        await Assert.ThrowsAsync<ArgumentException>(async () => await save.InvokeAsync(new AIFunctionArguments { ["url"] = "opening-hours.html" }));
        var refused = AgentPlugin.FromObject(new MemoryPlugin(new MemoryService(new InMemoryTestStore()))).Functions.Single(f => f.Name == "memory_save_web_page");
        await Assert.ThrowsAsync<SkAgents.Web.BlockedAddressException>(async () => await refused.InvokeAsync(new AIFunctionArguments { ["url"] = "http://10.0.0.7/admin" }));
        Assert.Single(site.Requests);
    }
}
