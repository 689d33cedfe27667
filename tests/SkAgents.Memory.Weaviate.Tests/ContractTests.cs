namespace SkAgents.Memory.Weaviate.Tests;

/// <summary>The contract scenarios against <see cref="FakeWeaviateServer"/>.</summary>
public sealed class FakeWeaviateContractTests
{
    public static IEnumerable<object[]> Cases => ContractScenarios.Names();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Scenario(string name)
    {
        await using var server = await FakeWeaviateServer.StartAsync(apiKey: "test-key");
        await using var context = new ScenarioContext(
            new WeaviateMemoryStore(new WeaviateMemoryStoreOptions { Endpoint = server.RootUri, ApiKey = "test-key" }),
            Guid.NewGuid().ToString("N")[..8]);
        await ContractScenarios.RunAsync(name, context);
    }
}

/// <summary>
/// The same scenarios against a real Weaviate at <c>WEAVIATE_URL</c> (API key from <c>WEAVIATE_API_KEY</c>). Without
/// <c>WEAVIATE_URL</c> this class has no test cases (see <see cref="RealWeaviateTheoryAttribute"/>).
/// </summary>
public sealed class RealWeaviateContractTests
{
    public static IEnumerable<object[]> Cases => ContractScenarios.Names();

    [RealWeaviateTheory]
    [MemberData(nameof(Cases))]
    public async Task Scenario(string name)
    {
        var store = new WeaviateMemoryStore(new WeaviateMemoryStoreOptions
        {
            Endpoint = new Uri(RealWeaviateTheoryAttribute.Url!),
            ApiKey = Environment.GetEnvironmentVariable("WEAVIATE_API_KEY"),
            CollectionPrefix = "SkTest_",
        });
        await store.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
        await using var context = new ScenarioContext(store, Guid.NewGuid().ToString("N")[..8]);
        await ContractScenarios.RunAsync(name, context);
    }
}
