using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace SkAgents.Tokenizers;

/// <summary>The tokenization model (the <c>model</c> section): turns one pre-tokenized word into ids.</summary>
internal abstract class TokenizerModel
{
    protected TokenizerModel(Vocabulary vocabulary)
    {
        Vocabulary = vocabulary;
    }

    public Vocabulary Vocabulary { get; }

    /// <summary>Gets the <c>continuing_subword_prefix</c> (WordPiece <c>##</c>) if the model has one.</summary>
    public virtual string? ContinuingSubwordPrefix => null;

    public abstract void Tokenize(ReadOnlySpan<char> word, List<int> ids);

    public static TokenizerModel Create(JsonNav json)
    {
        var type = json.String("type");
        if (type is null)
        {
            // Very old files omit the type: infer it from the fields.
            type = json.TryGet("merges", out _) ? "BPE" : json.TryGet("max_input_chars_per_word", out _) ? "WordPiece" : null;
        }

        return type switch
        {
            "BPE" => BpeModel.Load(json),
            "WordPiece" => WordPieceModel.Load(json),
            "WordLevel" => WordLevelModel.Load(json),
            null => throw new TokenizerFormatException("The model has no 'type' and its kind cannot be inferred", json.Path),
            _ => throw new UnsupportedTokenizerComponentException("model", type, json.Path),
        };
    }

    protected static int RequireToken(Vocabulary vocabulary, string token, string path) =>
        vocabulary.TryGetId(token, out var id) ? id : throw new TokenizerFormatException($"Token '{token}' is not in the vocabulary", path);
}

/// <summary>A token-to-id map that can be searched with spans.</summary>
internal sealed class Vocabulary
{
    private readonly Dictionary<string, int> ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> spanLookup;
    private readonly string?[] tokens;

    private Vocabulary(Dictionary<string, int> ids)
    {
        this.ids = ids;
        spanLookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        var max = ids.Count == 0 ? -1 : ids.Values.Max();
        tokens = new string?[max + 1];
        foreach (var (token, id) in ids)
        {
            tokens[id] = token;
        }
    }

    public int Count => ids.Count;

    /// <summary>Gets the largest id plus one.</summary>
    public int Size => tokens.Length;

    public static Vocabulary Create(JsonNav json)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, value) in json.Properties())
        {
            var id = value.AsInt();
            if (id < 0)
            {
                throw new TokenizerFormatException($"Negative id {id}", value.Path);
            }

            map[name] = id;
        }

        return new Vocabulary(map);
    }

    public bool TryGetId(string token, out int id) => ids.TryGetValue(token, out id);

    public bool TryGetId(ReadOnlySpan<char> token, out int id) => spanLookup.TryGetValue(token, out id);

    public string? GetToken(int id) => (uint)id < (uint)tokens.Length ? tokens[id] : null;
}

/// <summary>Byte-pair encoding, in its byte-level (GPT-2) and SentencePiece (byte_fallback) forms.</summary>
internal sealed class BpeModel : TokenizerModel
{
    private const int CacheCapacity = 10_000;
    private const int MaxCachedWordLength = 256;

    [ThreadStatic]
    private static MergeWorkspace? workspace;

    private readonly Dictionary<long, long> merges;
    private readonly int unkId;
    private readonly string? prefix;
    private readonly string? suffix;
    private readonly bool fuseUnk;
    private readonly bool byteFallback;
    private readonly bool ignoreMerges;
    private readonly int[] byteIds;
    private readonly ConcurrentDictionary<string, int[]> cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> cacheLookup;
    private readonly char boundary;
    private int cacheCount;

    private BpeModel(Vocabulary vocabulary, Dictionary<long, long> merges, int unkId, string? prefix, string? suffix, bool fuseUnk, bool byteFallback, bool ignoreMerges)
        : base(vocabulary)
    {
        this.merges = merges;
        this.unkId = unkId;
        this.prefix = string.IsNullOrEmpty(prefix) ? null : prefix;
        this.suffix = string.IsNullOrEmpty(suffix) ? null : suffix;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        cacheLookup = cache.GetAlternateLookup<ReadOnlySpan<char>>();
        boundary = FindBoundary(vocabulary);
        byteIds = new int[256];
        for (var b = 0; b < 256; b++)
        {
            byteIds[b] = vocabulary.TryGetId($"<0x{b:X2}>", out var id) ? id : -1;
        }
    }

    public override string? ContinuingSubwordPrefix => prefix;

    public static BpeModel Load(JsonNav json)
    {
        var vocabulary = Vocabulary.Create(json.Required("vocab"));
        var prefix = json.String("continuing_subword_prefix");
        var merges = new Dictionary<long, long>();
        if (json.TryGet("merges", out var mergeList))
        {
            var rank = 0;
            foreach (var item in mergeList.Items())
            {
                string left;
                string right;
                if (item.Element.ValueKind == JsonValueKind.String)
                {
                    var text = item.AsString();
                    var space = text.IndexOf(' ', StringComparison.Ordinal);
                    if (space < 0)
                    {
                        throw new TokenizerFormatException($"Merge '{text}' is not two tokens separated by a space", item.Path);
                    }

                    left = text[..space];
                    right = text[(space + 1)..];
                }
                else if (item.Element.ValueKind == JsonValueKind.Array && item.Element.GetArrayLength() == 2)
                {
                    var pair = item.Items().ToArray();
                    left = pair[0].AsString();
                    right = pair[1].AsString();
                }
                else
                {
                    throw new TokenizerFormatException("A merge must be a string \"a b\" or a pair [\"a\", \"b\"]", item.Path);
                }

                var leftId = RequireToken(vocabulary, left, item.Path);
                var rightId = RequireToken(vocabulary, right, item.Path);
                var strippedRight = !string.IsNullOrEmpty(prefix) && right.StartsWith(prefix, StringComparison.Ordinal) ? right[prefix.Length..] : right;
                var merged = RequireToken(vocabulary, left + strippedRight, item.Path);
                merges.TryAdd(PairKey(leftId, rightId), ((long)rank << 32) | (uint)merged);
                rank++;
            }
        }

        var unkToken = json.String("unk_token");
        var unkId = -1;
        if (unkToken is not null && !vocabulary.TryGetId(unkToken, out unkId))
        {
            unkId = -1;
        }

        return new BpeModel(
            vocabulary,
            merges,
            unkId,
            prefix,
            json.String("end_of_word_suffix"),
            json.Bool("fuse_unk", false),
            json.Bool("byte_fallback", false),
            json.Bool("ignore_merges", false));
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    public override void Tokenize(ReadOnlySpan<char> word, List<int> ids)
    {
        if (word.IsEmpty)
        {
            return;
        }

        if (ignoreMerges && Vocabulary.TryGetId(word, out var whole))
        {
            ids.Add(whole);
            return;
        }

        if (boundary != '\0' && word.Length > 16)
        {
            // SentencePiece files have no pre-tokenizer, so a whole line is one "word". No vocabulary token holds
            // the boundary character (▁) after another character, so no merge can cross such a position: the
            // word can be cut there without changing the result, and the pieces benefit from the cache.
            var start = 0;
            for (var i = 1; i < word.Length; i++)
            {
                if (word[i] == boundary && word[i - 1] != boundary)
                {
                    TokenizeWord(word[start..i], ids);
                    start = i;
                }
            }

            TokenizeWord(word[start..], ids);
            return;
        }

        TokenizeWord(word, ids);
    }

    /// <summary>
    /// Returns ▁ when the vocabulary is SentencePiece-like in a way that makes cutting before each ▁ (not preceded
    /// by another ▁) exact: ▁ is a token and no token has ▁ after a different character. Otherwise returns NUL.
    /// </summary>
    private char FindBoundary(Vocabulary vocabulary)
    {
        const char metaspace = '\u2581';
        if (prefix is not null || suffix is not null || !vocabulary.TryGetId(metaspace.ToString(), out _))
        {
            return '\0';
        }

        for (var id = 0; id < vocabulary.Size; id++)
        {
            var token = vocabulary.GetToken(id);
            if (token is null)
            {
                continue;
            }

            for (var i = 1; i < token.Length; i++)
            {
                if (token[i] == metaspace && token[i - 1] != metaspace)
                {
                    return '\0';
                }
            }
        }

        return metaspace;
    }

    private void TokenizeWord(ReadOnlySpan<char> word, List<int> ids)
    {
        var cacheable = word.Length <= MaxCachedWordLength;
        if (cacheable && cacheLookup.TryGetValue(word, out var cached))
        {
            ids.AddRange(cached);
            return;
        }

        var ws = workspace ??= new MergeWorkspace();
        var count = BuildSymbols(word, ws);
        Merge(ws, count);
        var start = ids.Count;
        for (var i = 0; i >= 0 && count > 0; i = ws.Next[i])
        {
            ids.Add(ws.Ids[i]);
        }

        if (cacheable && Volatile.Read(ref cacheCount) < CacheCapacity)
        {
            var result = ids.GetRange(start, ids.Count - start).ToArray();
            if (cacheLookup.TryAdd(word, result))
            {
                Interlocked.Increment(ref cacheCount);
            }
        }
    }

    private int BuildSymbols(ReadOnlySpan<char> word, MergeWorkspace ws)
    {
        ws.Ensure(word.Length * 4);
        var count = 0;
        var lastWasUnk = false;
        var index = 0;
        Span<byte> utf8 = stackalloc byte[4];
        char[]? rented = null;
        var extra = (prefix?.Length ?? 0) + (suffix?.Length ?? 0);
        var buffer = extra == 0 ? [] : (rented = ArrayPool<char>.Shared.Rent(extra + 2));
        while (index < word.Length)
        {
            var length = char.IsHighSurrogate(word[index]) && index + 1 < word.Length && char.IsLowSurrogate(word[index + 1]) ? 2 : 1;
            var piece = word.Slice(index, length);
            var usePrefix = prefix is not null && index > 0;
            var useSuffix = suffix is not null && index + length == word.Length;
            ReadOnlySpan<char> token = piece;
            if (usePrefix || useSuffix)
            {
                var n = 0;
                if (usePrefix)
                {
                    prefix.AsSpan().CopyTo(buffer);
                    n = prefix!.Length;
                }

                piece.CopyTo(buffer.AsSpan(n));
                n += length;
                if (useSuffix)
                {
                    suffix.AsSpan().CopyTo(buffer.AsSpan(n));
                    n += suffix!.Length;
                }

                token = buffer.AsSpan(0, n);
            }

            index += length;
            if (Vocabulary.TryGetId(token, out var id))
            {
                Push(ws, ref count, id);
                lastWasUnk = false;
                continue;
            }

            if (byteFallback)
            {
                var byteCount = Encoding.UTF8.GetBytes(piece, utf8);
                var all = true;
                for (var b = 0; b < byteCount; b++)
                {
                    all &= byteIds[utf8[b]] >= 0;
                }

                if (all)
                {
                    for (var b = 0; b < byteCount; b++)
                    {
                        Push(ws, ref count, byteIds[utf8[b]]);
                    }

                    lastWasUnk = false;
                    continue;
                }
            }

            if (unkId >= 0)
            {
                if (!(fuseUnk && lastWasUnk))
                {
                    Push(ws, ref count, unkId);
                }

                lastWasUnk = true;
            }
        }

        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return count;
    }

    private static void Push(MergeWorkspace ws, ref int count, int id)
    {
        ws.Ids[count] = id;
        ws.Prev[count] = count - 1;
        ws.Next[count] = -1;
        ws.Alive[count] = true;
        if (count > 0)
        {
            ws.Next[count - 1] = count;
        }

        count++;
    }

    private void Merge(MergeWorkspace ws, int count)
    {
        if (count < 2)
        {
            return;
        }

        var queue = ws.Queue;
        queue.Clear();
        for (var i = 0; i + 1 < count; i++)
        {
            if (merges.TryGetValue(PairKey(ws.Ids[i], ws.Ids[i + 1]), out var merge))
            {
                queue.Enqueue(i, (merge & ~0xFFFFFFFFL) | (uint)i);
            }
        }

        while (queue.TryDequeue(out var position, out var priority))
        {
            if (!ws.Alive[position])
            {
                continue;
            }

            var next = ws.Next[position];
            if (next < 0 || !merges.TryGetValue(PairKey(ws.Ids[position], ws.Ids[next]), out var merge) || (merge >> 32) != (priority >> 32))
            {
                continue;
            }

            ws.Ids[position] = (int)(merge & 0xFFFFFFFFL);
            ws.Alive[next] = false;
            var after = ws.Next[next];
            ws.Next[position] = after;
            if (after >= 0)
            {
                ws.Prev[after] = position;
                if (merges.TryGetValue(PairKey(ws.Ids[position], ws.Ids[after]), out var right))
                {
                    queue.Enqueue(position, (right & ~0xFFFFFFFFL) | (uint)position);
                }
            }

            var before = ws.Prev[position];
            if (before >= 0 && merges.TryGetValue(PairKey(ws.Ids[before], ws.Ids[position]), out var left))
            {
                queue.Enqueue(before, (left & ~0xFFFFFFFFL) | (uint)before);
            }
        }
    }

    /// <summary>Per-thread scratch arrays for merging one word (a doubly linked list of symbols and a priority queue).</summary>
    private sealed class MergeWorkspace
    {
        public int[] Ids { get; private set; } = new int[64];

        public int[] Prev { get; private set; } = new int[64];

        public int[] Next { get; private set; } = new int[64];

        public bool[] Alive { get; private set; } = new bool[64];

        public PriorityQueue<int, long> Queue { get; } = new();

        public void Ensure(int size)
        {
            if (Ids.Length >= size)
            {
                return;
            }

            var capacity = Math.Max(size, Ids.Length * 2);
            Ids = new int[capacity];
            Prev = new int[capacity];
            Next = new int[capacity];
            Alive = new bool[capacity];
        }
    }
}

/// <summary>WordPiece: greedy longest-match-first with a continuation prefix (<c>##</c>).</summary>
internal sealed class WordPieceModel : TokenizerModel
{
    private readonly int unkId;
    private readonly string prefix;
    private readonly int maxInputCharsPerWord;

    private WordPieceModel(Vocabulary vocabulary, int unkId, string prefix, int maxInputCharsPerWord)
        : base(vocabulary)
    {
        this.unkId = unkId;
        this.prefix = prefix;
        this.maxInputCharsPerWord = maxInputCharsPerWord;
    }

    public override string? ContinuingSubwordPrefix => prefix;

    public static WordPieceModel Load(JsonNav json)
    {
        var vocabulary = Vocabulary.Create(json.Required("vocab"));
        var unk = json.String("unk_token") ?? "[UNK]";
        return new WordPieceModel(
            vocabulary,
            RequireToken(vocabulary, unk, json.Path + ".unk_token"),
            json.String("continuing_subword_prefix") ?? "##",
            json.Int("max_input_chars_per_word", 100));
    }

    public override void Tokenize(ReadOnlySpan<char> word, List<int> ids)
    {
        if (word.IsEmpty)
        {
            return;
        }

        var runeCount = 0;
        foreach (var _ in word.EnumerateRunes())
        {
            runeCount++;
        }

        if (runeCount > maxInputCharsPerWord)
        {
            ids.Add(unkId);
            return;
        }

        var first = ids.Count;
        var buffer = ArrayPool<char>.Shared.Rent(word.Length + prefix.Length);
        try
        {
            var start = 0;
            while (start < word.Length)
            {
                var end = word.Length;
                var found = -1;
                while (start < end)
                {
                    ReadOnlySpan<char> candidate;
                    if (start > 0)
                    {
                        prefix.AsSpan().CopyTo(buffer);
                        word[start..end].CopyTo(buffer.AsSpan(prefix.Length));
                        candidate = buffer.AsSpan(0, prefix.Length + end - start);
                    }
                    else
                    {
                        candidate = word[..end];
                    }

                    if (Vocabulary.TryGetId(candidate, out var id))
                    {
                        found = id;
                        break;
                    }

                    end -= end - 2 >= start && char.IsLowSurrogate(word[end - 1]) && char.IsHighSurrogate(word[end - 2]) ? 2 : 1;
                }

                if (found < 0)
                {
                    ids.RemoveRange(first, ids.Count - first);
                    ids.Add(unkId);
                    return;
                }

                ids.Add(found);
                start = end;
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }
}

/// <summary>WordLevel: each word is looked up whole.</summary>
internal sealed class WordLevelModel : TokenizerModel
{
    private readonly int unkId;

    private WordLevelModel(Vocabulary vocabulary, int unkId)
        : base(vocabulary)
    {
        this.unkId = unkId;
    }

    public static WordLevelModel Load(JsonNav json)
    {
        var vocabulary = Vocabulary.Create(json.Required("vocab"));
        var unk = json.String("unk_token");
        return new WordLevelModel(vocabulary, unk is not null && vocabulary.TryGetId(unk, out var id) ? id : -1);
    }

    public override void Tokenize(ReadOnlySpan<char> word, List<int> ids)
    {
        if (word.IsEmpty)
        {
            return;
        }

        if (Vocabulary.TryGetId(word, out var id))
        {
            ids.Add(id);
        }
        else if (unkId >= 0)
        {
            ids.Add(unkId);
        }
        else
        {
            throw new TokenizerException($"WordLevel: '{word}' is not in the vocabulary and the model has no unk_token");
        }
    }
}
