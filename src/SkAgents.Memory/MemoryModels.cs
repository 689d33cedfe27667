using SkAgents.Memory.Storage;

namespace SkAgents.Memory;

/// <summary>Whether an import wrote anything.</summary>
public enum ImportStatus
{
    /// <summary>The document was new or changed and has been saved.</summary>
    Imported,

    /// <summary>The same content was already stored; nothing was written.</summary>
    Unchanged,
}

/// <summary>The outcome of importing one document.</summary>
/// <param name="Index">The index.</param>
/// <param name="DocumentId">The document id.</param>
/// <param name="Status">Whether it was written.</param>
/// <param name="Partitions">How many partitions the document has.</param>
public sealed record ImportResult(string Index, string DocumentId, ImportStatus Status, int Partitions);

/// <summary>One matching partition of a cited document.</summary>
/// <param name="PartitionNumber">Its position in the document.</param>
/// <param name="Text">Its text.</param>
/// <param name="SectionPath">Its heading path.</param>
/// <param name="Relevance">How well it matched, in [0, 1].</param>
public sealed record CitedPartition(int PartitionNumber, string Text, string? SectionPath, double Relevance);

/// <summary>A document that matched, with the partitions that did (Kernel Memory's <c>Citation</c>).</summary>
/// <param name="DocumentId">The document id.</param>
/// <param name="Index">The index.</param>
/// <param name="SourceName">The file name, URL or given name.</param>
/// <param name="SourceUrl">The URL, if any.</param>
/// <param name="Tags">The document's tags.</param>
/// <param name="Partitions">The matching partitions, best first.</param>
public sealed record Citation(
    string DocumentId,
    string Index,
    string SourceName,
    string? SourceUrl,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Tags,
    IReadOnlyList<CitedPartition> Partitions);

/// <summary>The results of a search.</summary>
/// <param name="Query">The query.</param>
/// <param name="Results">The cited documents, best first.</param>
public sealed record MemorySearchResult(string Query, IReadOnlyList<Citation> Results)
{
    /// <summary>Gets whether nothing matched.</summary>
    public bool NoResult => Results.Count == 0;
}

/// <summary>A numbered source given to (and cited by) an answer.</summary>
/// <param name="Number">The number used in the answer's <c>[n]</c> citations.</param>
/// <param name="DocumentId">The document.</param>
/// <param name="SourceName">Its name.</param>
/// <param name="SourceUrl">Its URL, if any.</param>
/// <param name="Partition">The partition the number refers to.</param>
public sealed record AnswerSource(int Number, string DocumentId, string SourceName, string? SourceUrl, CitedPartition Partition);

/// <summary>An answer from memory (Kernel Memory's <c>MemoryAnswer</c>).</summary>
/// <param name="Question">The question.</param>
/// <param name="Text">The answer, citing sources as [n].</param>
/// <param name="NoResult">True when memory held nothing relevant.</param>
/// <param name="Sources">The numbered sources the answer may cite.</param>
/// <param name="Extractive">True when the answer was assembled from sentences without a chat model.</param>
public sealed record MemoryAnswer(string Question, string Text, bool NoResult, IReadOnlyList<AnswerSource> Sources, bool Extractive);

/// <summary>A piece of a streamed answer (<see cref="MemoryService.AskStreamingAsync"/>).</summary>
/// <param name="Text">The next piece of answer text (empty in the first update of a model-written answer).</param>
/// <param name="Sources">The numbered sources the answer cites as [n] (the same list in every update).</param>
/// <param name="NoResult">Whether memory held nothing relevant ("I don't know").</param>
/// <param name="Extractive">Whether the answer is made of the sources' own sentences (no chat model).</param>
public sealed record MemoryAnswerUpdate(string Text, IReadOnlyList<AnswerSource> Sources, bool NoResult, bool Extractive);
