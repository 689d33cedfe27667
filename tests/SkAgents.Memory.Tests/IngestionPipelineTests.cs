using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using SkAgents.Memory.Extraction;
using SkAgents.Memory.Ingestion;
using SkAgents.Memory.Storage;

namespace SkAgents.Memory.Tests;

public sealed partial class IngestionPipelineTests
{
    [Fact]
    public void Default_pipeline_has_the_documented_steps_and_embeds_only_with_a_generator()
    {
        var store = new InMemoryTestStore();
        Assert.Equal(["skip-unchanged", "extract", "partition", "save"], new MemoryService(store).Pipeline.Steps.Select(s => s.Name));
        Assert.Equal(
            ["skip-unchanged", "extract", "partition", "embed", "save"],
            new MemoryService(store, new CountingEmbeddings()).Pipeline.Steps.Select(s => s.Name));
    }

    [Fact]
    public async Task A_custom_step_after_extraction_changes_what_is_stored()
    {
        var store = new InMemoryTestStore();
        var memory = new MemoryService(store);
        memory.Pipeline.InsertAfter(IngestionPipeline.Extract, new RedactEmailsStep());
        var file = Path.Combine(Path.GetTempPath(), $"skagents-pipeline-{Guid.NewGuid():N}.md");
        await File.WriteAllTextAsync(file, "# Contacts\n\nWrite to jane.doe@example.com for access.");
        try
        {
            var result = await memory.ImportFileAsync(file, "contacts");

            Assert.Equal(ImportStatus.Imported, result.Status);
            var text = string.Join("\n", store.PartitionsOf("contacts").Select(p => p.Text));
            Assert.Contains("[email]", text, StringComparison.Ordinal);
            Assert.DoesNotContain("jane.doe", text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Steps_run_in_order_with_progress_and_an_unchanged_document_stops_after_the_first()
    {
        var store = new InMemoryTestStore();
        var embeddings = new CountingEmbeddings();
        var memory = new MemoryService(store, embeddings, options: new MemoryOptions { EmbeddingBatchSize = 2 });
        var seen = new List<string>();
        var text = string.Join("\n\n", Enumerable.Range(0, 5).Select(i => $"# Part {i}\n\n" + string.Concat(Enumerable.Repeat($"Sentence {i} about topic {i}. ", 120))));

        var context = new IngestionContext("default", "doc", "doc", new Dictionary<string, IReadOnlyList<string>>()) { ContentHash = "h1" };
        context.Extracted = new ExtractedDocument("doc", text, "text/markdown");
        var first = await memory.Pipeline.RunAsync(context, new SyncProgress(seen.Add));

        Assert.Equal(["skip-unchanged", "extract", "partition", "embed", "save"], seen);
        Assert.Equal(ImportStatus.Imported, first.Status);
        Assert.True(first.Partitions >= 3, $"expected several partitions, got {first.Partitions}");
        Assert.Equal(first.Partitions, embeddings.Texts);
        Assert.Equal((first.Partitions + 1) / 2, embeddings.Calls);
        Assert.All(store.PartitionsOf("doc"), p => Assert.NotNull(p.Embedding));

        seen.Clear();
        var again = new IngestionContext("default", "doc", "doc", new Dictionary<string, IReadOnlyList<string>>()) { ContentHash = "h1" };
        again.Extracted = context.Extracted;
        var second = await memory.Pipeline.RunAsync(again, new SyncProgress(seen.Add));
        Assert.Equal(["skip-unchanged"], seen);
        Assert.Equal(ImportStatus.Unchanged, second.Status);
        Assert.Equal(first.Partitions, second.Partitions);
    }

    [Fact]
    public async Task Misconfigured_pipelines_say_what_is_missing()
    {
        var store = new InMemoryTestStore();
        var noSave = new IngestionPipeline(IngestionPipeline.CreateDefault(store).Steps.Where(s => s.Name != IngestionPipeline.Save));
        var context = new IngestionContext("default", "d", "d", new Dictionary<string, IReadOnlyList<string>>()) { ContentHash = "h" };
        context.Extracted = new ExtractedDocument("d", "text", "text/markdown");
        var missingSave = await Assert.ThrowsAsync<InvalidOperationException>(() => noSave.RunAsync(context));
        Assert.Contains("'save'", missingSave.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.Saves);

        var reordered = IngestionPipeline.CreateDefault(store);
        var partition = reordered.Steps.Single(s => s.Name == IngestionPipeline.Partition);
        reordered.Steps.Remove(partition);
        reordered.Steps.Add(partition);
        var bytes = new IngestionContext("default", "d2", "d2", new Dictionary<string, IReadOnlyList<string>>()) { ContentHash = "h", Content = "x"u8.ToArray(), FileName = "x.txt" };
        var wrongOrder = await Assert.ThrowsAsync<InvalidOperationException>(() => reordered.RunAsync(bytes));
        Assert.Contains("put 'partition' before it", wrongOrder.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.Saves);

        var unknown = Assert.Throws<ArgumentException>(() => reordered.InsertAfter("ocr", new RedactEmailsStep()));
        Assert.Contains("skip-unchanged", unknown.Message, StringComparison.Ordinal);
    }

    private sealed partial class RedactEmailsStep : IIngestionStep
    {
        public string Name => "redact-emails";

        public ValueTask InvokeAsync(IngestionContext context, CancellationToken cancellationToken)
        {
            var extracted = context.Extracted!;
            context.Extracted = extracted with { Markdown = Email().Replace(extracted.Markdown, "[email]") };
            return ValueTask.CompletedTask;
        }

        [GeneratedRegex(@"[\w.+-]+@[\w-]+(\.[\w-]+)+")]
        private static partial Regex Email();
    }

    private sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    private sealed class CountingEmbeddings : IEmbeddingGenerator<string, Embedding<float>>
    {
        public int Calls { get; private set; }

        public int Texts { get; private set; }

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = values.ToList();
            Calls++;
            Texts += list.Count;
            return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(list.Select(v => new Embedding<float>(new[] { v.Length, 1f }))));
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
