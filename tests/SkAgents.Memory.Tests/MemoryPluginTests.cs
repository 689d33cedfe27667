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
        Assert.Equal(["memory_ask", "memory_save_text", "memory_search"], plugin.Functions.Select(f => f.Name));
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
}
