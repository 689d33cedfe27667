using SkAgents.Memory.Storage;

namespace SkAgents.Memory.Contract;

/// <summary>
/// A store under contract test, with index names unique to the run (so runs against a shared real server do not collide);
/// disposing deletes the indexes the case created, then disposes the store.
/// </summary>
/// <param name="store">The store.</param>
/// <param name="deleteIndexes">Whether to delete the created indexes on dispose (for shared servers).</param>
public sealed class StoreContext(IMemoryStore store, bool deleteIndexes = false) : IAsyncDisposable
{
    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];
    private readonly List<string> _indexes = [];

    /// <summary>Gets the store.</summary>
    public IMemoryStore Store { get; } = store;

    /// <summary>Returns a new index name for this run.</summary>
    /// <param name="name">A readable part of the name; a counter when null.</param>
    /// <returns>The index name.</returns>
    public string NewIndex(string? name = null)
    {
        var index = $"t{_runId}-{name ?? _indexes.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        _indexes.Add(index);
        return index;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (deleteIndexes)
        {
            foreach (var index in _indexes)
            {
                try
                {
                    await Store.DeleteIndexAsync(index).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Best effort: a failed case may have left the server unreachable.
                }
            }
        }

        await Store.DisposeAsync().ConfigureAwait(false);
    }
}
