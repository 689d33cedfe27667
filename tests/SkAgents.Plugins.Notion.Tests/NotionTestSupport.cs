using SkAgents.Testing.Notion;

namespace SkAgents.Plugins.Notion.Tests;

/// <summary>A fake Notion server plus a client pointed at it on a virtual clock.</summary>
public abstract class NotionTestBase : IAsyncLifetime
{
    protected FakeNotionServer Server { get; private set; } = null!;

    protected VirtualTimeProvider Time { get; } = new();

    public async Task InitializeAsync() => Server = await FakeNotionServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    protected NotionClient Client(string version = NotionVersions.Default, string? token = null, int maxRetries = 3) => new(new NotionClientOptions
    {
        Token = token ?? Server.Token,
        BaseUrl = Server.BaseUrl,
        Version = version,
        TimeProvider = Time,
        MaxRetries = maxRetries,
    });

    protected IReadOnlyList<NotionRecordedRequest> RequestsTo(string method, string pathContains) =>
        [.. Server.Requests.Where(r => r.Method == method && r.Path.Contains(pathContains, StringComparison.Ordinal))];
}
