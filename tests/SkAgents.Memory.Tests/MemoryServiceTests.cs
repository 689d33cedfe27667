using Microsoft.Extensions.AI;
using SkAgents.Memory.Extraction;
using SkAgents.Memory.Storage;
using SkAgents.Prompts;

namespace SkAgents.Memory.Tests;

public sealed class MemoryServiceTests : IDisposable
{
    private const string Handbook = """
        # Holidays

        Employees get 25 days of paid holiday per year. Unused days expire in March.

        # Equipment

        Every employee receives a laptop on the first day. Monitors are ordered through the helpdesk.
        """;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "skagents-memory-" + Guid.NewGuid().ToString("N"));

    public MemoryServiceTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Dictionary<string, IReadOnlyList<string>> Tags(string key, string value) => new() { [key] = [value] };

    [Fact]
    public async Task Import_is_idempotent_and_replaces_changed_documents()
    {
        var store = new InMemoryTestStore();
        var memory = new MemoryService(store);

        var first = await memory.ImportTextAsync(Handbook, "handbook");
        var again = await memory.ImportTextAsync(Handbook, "handbook");
        var changed = await memory.ImportTextAsync(Handbook + "\n\nParking is free.", "handbook");

        Assert.Equal(ImportStatus.Imported, first.Status);
        Assert.True(first.Partitions >= 1);
        Assert.Equal(ImportStatus.Unchanged, again.Status);
        Assert.Equal(ImportStatus.Imported, changed.Status);
        Assert.Equal(2, store.Saves);
        var retagged = await memory.ImportTextAsync(Handbook + "\n\nParking is free.", "handbook", Tags("team", "hr"));
        Assert.Equal(ImportStatus.Imported, retagged.Status);
    }

    [Fact]
    public async Task Files_are_extracted_and_bad_input_is_refused()
    {
        var memory = new MemoryService(new InMemoryTestStore());
        var page = Path.Combine(_folder, "guide.html");
        await File.WriteAllTextAsync(page, "<html><body><nav>Home | About</nav><main><h1>Guide</h1><p>The laptop policy allows one laptop per employee.</p></main></body></html>");

        var imported = await memory.ImportFileAsync(page);
        Assert.StartsWith("guide.html-", imported.DocumentId, StringComparison.Ordinal);
        var result = await memory.SearchAsync("laptop policy");
        var citation = Assert.Single(result.Results);
        Assert.Equal("guide.html", citation.SourceName);
        Assert.DoesNotContain("About", citation.Partitions[0].Text, StringComparison.Ordinal);

        var binary = Path.Combine(_folder, "image.png");
        await File.WriteAllBytesAsync(binary, [1, 2, 3]);
        await Assert.ThrowsAsync<UnsupportedFileTypeException>(() => memory.ImportFileAsync(binary));
        var reserved = await Assert.ThrowsAsync<ArgumentException>(() => memory.ImportTextAsync("x", tags: Tags("__document_id", "y")));
        Assert.Contains("reserved", reserved.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_respects_filters_and_needs_embeddings_for_vector_mode()
    {
        var memory = new MemoryService(new InMemoryTestStore());
        await memory.ImportTextAsync("The holiday policy for engineers.", "eng", Tags("team", "engineering"));
        await memory.ImportTextAsync("The holiday policy for sales.", "sales", Tags("team", "sales"));

        var all = await memory.SearchAsync("holiday policy");
        Assert.Equal(2, all.Results.Count);
        var engineering = await memory.SearchAsync("holiday policy", filters: [MemoryFilter.ByTag("team", "engineering")]);
        Assert.Equal("eng", Assert.Single(engineering.Results).DocumentId);
        var notSales = await memory.SearchAsync("holiday policy", filters: [new MemoryFilter().NotTag("team", "sales")]);
        Assert.Equal("eng", Assert.Single(notSales.Results).DocumentId);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => memory.SearchAsync("holiday", mode: SearchMode.Vector));
        Assert.Contains("embedding generator", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_without_a_model_answers_extractively_with_citations()
    {
        var memory = new MemoryService(new InMemoryTestStore());
        await memory.ImportTextAsync(Handbook, "handbook", sourceName: "handbook.md");

        var answer = await memory.AskAsync("How many days of paid holiday do employees get?");

        Assert.False(answer.NoResult);
        Assert.True(answer.Extractive);
        Assert.Contains("25 days of paid holiday", answer.Text, StringComparison.Ordinal);
        Assert.Matches(@"\[1\]", answer.Text);
        Assert.Equal(1, answer.Sources[0].Number);
        Assert.Equal("handbook", answer.Sources[0].DocumentId);
        Assert.Contains("25 days", answer.Sources[0].Partition.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_says_it_does_not_know_when_nothing_is_relevant()
    {
        var memory = new MemoryService(new InMemoryTestStore());
        await memory.ImportTextAsync(Handbook, "handbook");

        var answer = await memory.AskAsync("Quantum chromodynamics lecture?");

        Assert.True(answer.NoResult);
        Assert.StartsWith("I don't know", answer.Text, StringComparison.Ordinal);
        Assert.Empty(answer.Sources);
    }

    [Fact]
    public async Task Ask_with_a_chat_model_uses_the_answer_prompt_with_numbered_sources()
    {
        var chat = new RecordingChatClient("Employees get 25 days [1].");
        var memory = new MemoryService(new InMemoryTestStore(), chat: chat, prompts: PromptCatalog.LoadDefault(chatClient: null));
        await memory.ImportTextAsync(Handbook, "handbook", sourceName: "handbook.md");

        var answer = await memory.AskAsync("How many days of paid holiday do employees get?");

        Assert.Equal("Employees get 25 days [1].", answer.Text);
        Assert.False(answer.Extractive);
        var prompt = string.Join("\n", chat.Messages.Select(m => m.Text));
        Assert.Contains("[1] handbook.md", prompt, StringComparison.Ordinal);
        Assert.Contains("25 days of paid holiday", prompt, StringComparison.Ordinal);
        Assert.Contains("How many days of paid holiday", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ask_streams_the_sources_first_then_the_answer_as_the_model_writes_it()
    {
        var chat = new RecordingChatClient("Employees get 25 days [1].");
        var memory = new MemoryService(new InMemoryTestStore(), chat: chat, prompts: PromptCatalog.LoadDefault(chatClient: null));
        await memory.ImportTextAsync(Handbook, "handbook", sourceName: "handbook.md");

        var updates = new List<MemoryAnswerUpdate>();
        await foreach (var update in memory.AskStreamingAsync("How many days of paid holiday do employees get?"))
        {
            updates.Add(update);
        }

        Assert.Equal(string.Empty, updates[0].Text);
        Assert.Equal("handbook", Assert.Single(updates[0].Sources, s => s.Number == 1).DocumentId);
        Assert.Equal(["Employees ", "get ", "25 ", "days ", "[1]."], updates.Skip(1).Select(u => u.Text));
        Assert.True(chat.Streamed);
        Assert.All(updates, u => Assert.False(u.Extractive || u.NoResult));

        // Without a chat model the one update is the whole extractive answer; with nothing relevant, "I don't know".
        var offline = new MemoryService(new InMemoryTestStore());
        await offline.ImportTextAsync(Handbook, "handbook");
        var extractive = await ToListAsync(offline.AskStreamingAsync("How many days of paid holiday?"));
        Assert.True(Assert.Single(extractive).Extractive);
        Assert.Contains("[1]", extractive[0].Text, StringComparison.Ordinal);
        var unknown = await ToListAsync(offline.AskStreamingAsync("zeppelin xylophone"));
        Assert.True(Assert.Single(unknown).NoResult);
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    private sealed class RecordingChatClient(string answer) : IChatClient
    {
        public List<ChatMessage> Messages { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Messages.AddRange(messages);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)));
        }

        public bool Streamed { get; private set; }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            Messages.AddRange(messages);
            Streamed = true;
            foreach (var word in answer.Split(' '))
            {
                await Task.Yield();
                yield return new ChatResponseUpdate(ChatRole.Assistant, word == answer.Split(' ')[^1] ? word : word + " ");
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
