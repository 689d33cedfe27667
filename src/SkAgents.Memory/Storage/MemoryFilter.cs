namespace SkAgents.Memory.Storage;

/// <summary>
/// Tag conditions on memory records. Within one filter every condition must hold (AND), including the negated ones
/// (NOT); a query's list of filters matches a record when any filter does (OR) — Kernel Memory's semantics plus NOT.
/// </summary>
public sealed class MemoryFilter
{
    private readonly Dictionary<string, List<string>> _required = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _excluded = new(StringComparer.Ordinal);

    /// <summary>Gets the tags a record must have: for each key, every listed value.</summary>
    public IReadOnlyDictionary<string, List<string>> Required => _required;

    /// <summary>Gets the tags a record must not have: for each key, none of the listed values.</summary>
    public IReadOnlyDictionary<string, List<string>> Excluded => _excluded;

    /// <summary>Gets whether the filter has no conditions (matches everything).</summary>
    public bool IsEmpty => _required.Count == 0 && _excluded.Count == 0;

    /// <summary>Starts a filter requiring a tag.</summary>
    /// <param name="key">The tag key.</param>
    /// <param name="value">The value.</param>
    /// <returns>The filter.</returns>
    public static MemoryFilter ByTag(string key, string value) => new MemoryFilter().AndTag(key, value);

    /// <summary>Starts a filter requiring a document id.</summary>
    /// <param name="documentId">The document id.</param>
    /// <returns>The filter.</returns>
    public static MemoryFilter ByDocument(string documentId) => new MemoryFilter().AndTag(ReservedTags.DocumentId, documentId);

    /// <summary>Adds a required tag.</summary>
    /// <param name="key">The tag key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This filter.</returns>
    public MemoryFilter AndTag(string key, string value) => Add(_required, key, value);

    /// <summary>Adds a required document id.</summary>
    /// <param name="documentId">The document id.</param>
    /// <returns>This filter.</returns>
    public MemoryFilter AndDocument(string documentId) => Add(_required, ReservedTags.DocumentId, documentId);

    /// <summary>Adds an excluded tag (NOT).</summary>
    /// <param name="key">The tag key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This filter.</returns>
    public MemoryFilter NotTag(string key, string value) => Add(_excluded, key, value);

    /// <summary>Evaluates the filter on a record's tags.</summary>
    /// <param name="tags">The record's tags (reserved tags included).</param>
    /// <returns>Whether the record matches.</returns>
    public bool Matches(IReadOnlyDictionary<string, IReadOnlyList<string>> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        foreach (var (key, values) in _required)
        {
            if (!tags.TryGetValue(key, out var present) || values.Any(v => !present.Contains(v, StringComparer.Ordinal)))
            {
                return false;
            }
        }

        foreach (var (key, values) in _excluded)
        {
            if (tags.TryGetValue(key, out var present) && values.Any(v => present.Contains(v, StringComparer.Ordinal)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Evaluates a list of filters (OR); an empty or null list matches everything.</summary>
    /// <param name="filters">The filters.</param>
    /// <param name="tags">The record's tags.</param>
    /// <returns>Whether the record matches.</returns>
    public static bool MatchesAny(IReadOnlyList<MemoryFilter>? filters, IReadOnlyDictionary<string, IReadOnlyList<string>> tags) =>
        filters is null || filters.Count == 0 || filters.Any(f => f.Matches(tags));

    private MemoryFilter Add(Dictionary<string, List<string>> target, string key, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(value);
        if (!target.TryGetValue(key, out var list))
        {
            target[key] = list = [];
        }

        if (!list.Contains(value, StringComparer.Ordinal))
        {
            list.Add(value);
        }

        return this;
    }
}

/// <summary>Tags the memory sets on every record (prefixed <c>__</c>, as in Kernel Memory).</summary>
public static class ReservedTags
{
    /// <summary>The document id.</summary>
    public const string DocumentId = "__document_id";

    /// <summary>The source's media type.</summary>
    public const string MediaType = "__media_type";

    /// <summary>Gets whether a key is reserved (starts with <c>__</c>); users cannot set such tags.</summary>
    /// <param name="key">The key.</param>
    /// <returns>Whether it is reserved.</returns>
    public static bool IsReserved(string key) => key?.StartsWith("__", StringComparison.Ordinal) == true;
}
