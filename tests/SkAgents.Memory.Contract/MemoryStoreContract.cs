using System.Reflection;

namespace SkAgents.Memory.Contract;

public static partial class MemoryStoreContract
{
    /// <summary>Gets the case names, for <c>[MemberData]</c>.</summary>
    /// <returns>One row per case.</returns>
    public static IEnumerable<object[]> Names() =>
        typeof(MemoryStoreContract).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.ReturnType == typeof(Task) && m.GetParameters() is [{ ParameterType: var p }] && p == typeof(StoreContext))
            .Select(m => m.Name)
            .Order(StringComparer.Ordinal)
            .Select(name => new object[] { name });

    /// <summary>Runs one case.</summary>
    /// <param name="name">The case name.</param>
    /// <param name="context">The store under test.</param>
    /// <returns>A task that completes when the case has passed.</returns>
    public static Task RunAsync(string name, StoreContext context)
    {
        var method = typeof(MemoryStoreContract).GetMethod(name, BindingFlags.Public | BindingFlags.Static)
            ?? throw new ArgumentException($"No contract case named '{name}'.", nameof(name));
        return (Task)method.Invoke(null, [context])!;
    }
}
