using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SkAgents.Hosting;
using SkAgents.Plugins;
using SkAgents.Plugins.Notion;

namespace SkAgents.Cli.Tests;

/// <summary>The Notion settings in the host: NOTION_TOKEN, validation, redaction, registration.</summary>
public sealed class NotionHostingTests : IDisposable
{
    private const string Token = "ntn_hosting_secret_31f4";
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    private ServiceProvider Build(Dictionary<string, string?> environment) => new ServiceCollection()
        .AddSkAgentsForTest(new ConfigurationBuilder().AddSkAgentsConfiguration(new SkAgentsConfigurationSources
        {
            BaseDirectory = Path.Combine(_work.Path, "app"),
            WorkingDirectory = _work.Path,
            UserDirectory = Path.Combine(_work.Path, "user"),
            Environment = environment,
        }).Build(), _work.Path);

    [Fact]
    public async Task Notion_token_shorthand_binds_registers_the_plugin_and_is_redacted()
    {
        await using var services = Build(new() { ["NOTION_TOKEN"] = Token, ["SkAgents__Plugins__Notion__Version"] = "2022-06-28" });
        var options = services.GetRequiredService<IOptions<SkAgentsOptions>>().Value;
        Assert.Equal(Token, options.Plugins.Notion.Token);
        Assert.Equal("2022-06-28", services.GetRequiredService<NotionClient>().Version);
        Assert.Contains("notion", services.GetRequiredService<PluginCatalog>().Select(p => p.Name));

        var shown = ConfigurationRedactor.ToRedactedJson(options);
        Assert.DoesNotContain(Token, shown, StringComparison.Ordinal);
        Assert.Contains("\"Token\": \"***\"", shown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_token_or_when_disabled_the_plugin_is_left_out()
    {
        await using (var none = Build([]))
        {
            Assert.DoesNotContain("notion", none.GetRequiredService<PluginCatalog>().Select(p => p.Name));
            var ex = Assert.Throws<OptionsValidationException>(() => none.GetRequiredService<NotionClient>());
            Assert.Contains("SkAgents:Plugins:Notion:Token is not set", ex.Message, StringComparison.Ordinal);
        }

        await using var disabled = Build(new() { ["NOTION_TOKEN"] = Token, ["SkAgents__Plugins__Notion__Enabled"] = "false" });
        Assert.DoesNotContain("notion", disabled.GetRequiredService<PluginCatalog>().Select(p => p.Name));
    }

    [Fact]
    public async Task Wrong_settings_are_named()
    {
        await using var services = Build(new() { ["NOTION_TOKEN"] = Token, ["SkAgents__Plugins__Notion__Version"] = "v1", ["SkAgents__Plugins__Notion__BaseUrl"] = "ftp://example.com/" });
        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<SkAgentsOptions>>().Value);
        Assert.Contains("SkAgents:Plugins:Notion:Version is 'v1'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("SkAgents:Plugins:Notion:BaseUrl is 'ftp://example.com/'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, ex.Message, StringComparison.Ordinal);
    }
}

internal static class NotionHostingTestExtensions
{
    public static ServiceProvider AddSkAgentsForTest(this IServiceCollection services, IConfiguration configuration, string root)
    {
        services.AddSkAgents(configuration, o =>
        {
            o.Plugins.Files.Root = root;
            o.Memory.DatabasePath = Path.Combine(root, "memory.db");
        });
        return services.BuildServiceProvider();
    }
}
