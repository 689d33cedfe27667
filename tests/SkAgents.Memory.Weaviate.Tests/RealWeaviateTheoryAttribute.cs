using Xunit.Abstractions;
using Xunit.Sdk;

namespace SkAgents.Memory.Weaviate.Tests;

/// <summary>
/// A theory that exists only when <c>WEAVIATE_URL</c> is set: without it the discoverer yields no test cases at all
/// (no skipped tests, no "no data" error), so the real-server class contributes nothing rather than a silent skip.
/// </summary>
[XunitTestCaseDiscoverer("SkAgents.Memory.Weaviate.Tests.RealWeaviateTheoryDiscoverer", "SkAgents.Memory.Weaviate.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class RealWeaviateTheoryAttribute : TheoryAttribute
{
    public static string? Url => Environment.GetEnvironmentVariable("WEAVIATE_URL") is { Length: > 0 } u ? u : null;
}

public sealed class RealWeaviateTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute) =>
        RealWeaviateTheoryAttribute.Url is null ? [] : base.Discover(discoveryOptions, testMethod, theoryAttribute);
}
