using SkAgents.LocalModels.GenAI;
using SkAgents.LocalModels.Generation;
using SkAgents.ModelFactory.Models;

namespace SkAgents.LocalModels.Tests;

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class DecoderTempFolder : IDisposable
{
    public DecoderTempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "skagents-decoder-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Shared model folders (written once per test run) and helpers.</summary>
internal static class DecoderTestModels
{
    private static readonly string Root = CreateRoot();
    private static readonly Lazy<TinyDecoderFolder> LettersTiny = new(() => TinyDecoderFactory.Write(Folder("letters-tiny")));
    private static readonly Lazy<TinyDecoderFolder> LettersGqa = new(() => GqaDecoderFactory.Write(Folder("letters-gqa")));

    public static TinyDecoderFolder Letters(bool gqa) => gqa ? LettersGqa.Value : LettersTiny.Value;

    public static TinyDecoderFolder Write(bool gqa, string name, TinyDecoderOptions options) =>
        gqa ? GqaDecoderFactory.Write(Folder(name), options) : TinyDecoderFactory.Write(Folder(name), options);

    public static string Folder(string name) => Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);

    private static string CreateRoot()
    {
        string root = Path.Combine(Path.GetTempPath(), "skagents-decoder-tests-" + Environment.ProcessId);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        };
        return root;
    }

    public static OnnxDecoderOptions SingleThread(KvCacheMode mode = KvCacheMode.Auto) => new() { IntraOpNumThreads = 1, KvCacheMode = mode };

    /// <summary>Greedy generation through <see cref="TokenGenerator"/>.</summary>
    public static (List<int> Tokens, GenerationStopReason Reason) Generate(IDecoderModel model, IReadOnlyList<int> prompt, GenerationSettings settings, IReadOnlySet<int> endTokens, int? maxLength = null, CancellationToken cancellationToken = default)
    {
        using var sequence = model.StartSequence(maxLength ?? settings.MaxLength);
        var generator = new TokenGenerator(sequence, prompt, settings, endTokens, model.VocabularySize);
        var tokens = new List<int>();
        while (generator.TryNext(out int token, cancellationToken))
        {
            tokens.Add(token);
        }

        return (tokens, generator.StopReason);
    }

    public static HashSet<int> Eos(TinyDecoderFolder folder) => [.. folder.Vocabulary.EosTokenIds];

    public static int[] Bytes(string text) => [.. System.Text.Encoding.UTF8.GetBytes(text).Select(b => (int)b)];
}
