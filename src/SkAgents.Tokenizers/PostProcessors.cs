namespace SkAgents.Tokenizers;

/// <summary>A post-processor (the <c>post_processor</c> section): adds special tokens around encoded sequences.</summary>
internal abstract class PostProcessor
{
    /// <summary>Combines the encoded sequence(s), adding special tokens when asked.</summary>
    /// <param name="first">The first sequence's ids (type id 0 unless the template says otherwise).</param>
    /// <param name="second">The second sequence's ids, or null.</param>
    /// <param name="addSpecialTokens">Whether to add the special tokens.</param>
    /// <param name="ids">Receives the ids.</param>
    /// <param name="typeIds">Receives the type ids.</param>
    public abstract void Process(List<int> first, List<int>? second, bool addSpecialTokens, List<int> ids, List<int> typeIds);

    /// <summary>Gets how many tokens <see cref="Process"/> adds for a single sequence with special tokens on.</summary>
    public abstract int AddedTokenCount(bool pair);

    public static PostProcessor? Create(JsonNav json)
    {
        if (json.IsNull)
        {
            return null;
        }

        var type = json.RequiredString("type");
        return type switch
        {
            "TemplateProcessing" => TemplateProcessor.Load(json),
            "BertProcessing" => new SurroundProcessor(ReadPair(json, "cls"), ReadPair(json, "sep"), roberta: false),
            "RobertaProcessing" => new SurroundProcessor(ReadPair(json, "cls"), ReadPair(json, "sep"), roberta: true),
            "ByteLevel" => new NoOpProcessor(),
            "Sequence" => new SequenceProcessor([.. json.Required("processors").Items().Select(Create).OfType<PostProcessor>()]),
            _ => throw new UnsupportedTokenizerComponentException("post_processor", type, json.Path),
        };
    }

    protected static void AppendPlain(List<int> first, List<int>? second, List<int> ids, List<int> typeIds)
    {
        ids.AddRange(first);
        for (var i = 0; i < first.Count; i++)
        {
            typeIds.Add(0);
        }

        if (second is not null)
        {
            ids.AddRange(second);
            for (var i = 0; i < second.Count; i++)
            {
                typeIds.Add(1);
            }
        }
    }

    private static int ReadPair(JsonNav json, string name)
    {
        var pair = json.Required(name).Items().ToArray();
        if (pair.Length != 2)
        {
            throw new TokenizerFormatException("Expected [token, id]", json.Path + "." + name);
        }

        return pair[1].AsInt();
    }
}

internal sealed class NoOpProcessor : PostProcessor
{
    public override void Process(List<int> first, List<int>? second, bool addSpecialTokens, List<int> ids, List<int> typeIds) =>
        AppendPlain(first, second, ids, typeIds);

    public override int AddedTokenCount(bool pair) => 0;
}

/// <summary>BertProcessing (<c>[CLS] A [SEP] B [SEP]</c>) and RobertaProcessing (<c>&lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt;</c>).</summary>
internal sealed class SurroundProcessor(int cls, int sep, bool roberta) : PostProcessor
{
    public override void Process(List<int> first, List<int>? second, bool addSpecialTokens, List<int> ids, List<int> typeIds)
    {
        if (!addSpecialTokens)
        {
            AppendPlain(first, second, ids, typeIds);
            return;
        }

        Add(ids, typeIds, cls, 0);
        foreach (var id in first)
        {
            Add(ids, typeIds, id, 0);
        }

        Add(ids, typeIds, sep, 0);
        if (second is null)
        {
            return;
        }

        var secondType = roberta ? 0 : 1;
        if (roberta)
        {
            Add(ids, typeIds, sep, 0);
        }

        foreach (var id in second)
        {
            Add(ids, typeIds, id, secondType);
        }

        Add(ids, typeIds, sep, secondType);
    }

    public override int AddedTokenCount(bool pair) => pair ? (roberta ? 4 : 3) : 2;

    private static void Add(List<int> ids, List<int> typeIds, int id, int typeId)
    {
        ids.Add(id);
        typeIds.Add(typeId);
    }
}

/// <summary>TemplateProcessing: <c>single</c> and <c>pair</c> templates of special tokens and sequences.</summary>
internal sealed class TemplateProcessor : PostProcessor
{
    private readonly TemplatePiece[] single;
    private readonly TemplatePiece[] pair;

    private TemplateProcessor(TemplatePiece[] single, TemplatePiece[] pair)
    {
        this.single = single;
        this.pair = pair;
    }

    public static TemplateProcessor Load(JsonNav json)
    {
        var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (json.TryGet("special_tokens", out var specialTokens))
        {
            foreach (var (name, value) in specialTokens.Properties())
            {
                specials[name] = [.. value.Required("ids").Items().Select(i => i.AsInt())];
            }
        }

        return new TemplateProcessor(ParseTemplate(json.Required("single"), specials), ParseTemplate(json.Required("pair"), specials));
    }

    /// <summary>Builds a template in code (for tokenizers with no post-processor whose config asks for BOS/EOS).</summary>
    public static TemplateProcessor FromBosEos(int? bos, int? eos)
    {
        var single = new List<TemplatePiece>();
        var pairPieces = new List<TemplatePiece>();
        if (bos is { } b)
        {
            single.Add(new TemplatePiece(null, [b], 0));
            pairPieces.Add(new TemplatePiece(null, [b], 0));
        }

        single.Add(new TemplatePiece(0, [], 0));
        pairPieces.Add(new TemplatePiece(0, [], 0));
        if (eos is { } e)
        {
            single.Add(new TemplatePiece(null, [e], 0));
            pairPieces.Add(new TemplatePiece(null, [e], 0));
        }

        if (bos is { } b2)
        {
            pairPieces.Add(new TemplatePiece(null, [b2], 1));
        }

        pairPieces.Add(new TemplatePiece(1, [], 1));
        if (eos is { } e2)
        {
            pairPieces.Add(new TemplatePiece(null, [e2], 1));
        }

        return new TemplateProcessor([.. single], [.. pairPieces]);
    }

    public override void Process(List<int> first, List<int>? second, bool addSpecialTokens, List<int> ids, List<int> typeIds)
    {
        if (!addSpecialTokens)
        {
            AppendPlain(first, second, ids, typeIds);
            return;
        }

        foreach (var piece in second is null ? single : pair)
        {
            if (piece.Sequence is { } sequence)
            {
                var source = sequence == 0 ? first : second;
                if (source is null)
                {
                    continue;
                }

                ids.AddRange(source);
                for (var i = 0; i < source.Count; i++)
                {
                    typeIds.Add(piece.TypeId);
                }
            }
            else
            {
                ids.AddRange(piece.SpecialIds);
                for (var i = 0; i < piece.SpecialIds.Length; i++)
                {
                    typeIds.Add(piece.TypeId);
                }
            }
        }
    }

    public override int AddedTokenCount(bool pair) => (pair ? this.pair : single).Where(p => p.Sequence is null).Sum(p => p.SpecialIds.Length);

    private static TemplatePiece[] ParseTemplate(JsonNav template, Dictionary<string, int[]> specials)
    {
        var pieces = new List<TemplatePiece>();
        foreach (var item in template.Items())
        {
            if (item.TryGet("Sequence", out var sequence))
            {
                var id = sequence.RequiredString("id");
                var index = id switch
                {
                    "A" => 0,
                    "B" => 1,
                    _ => throw new TokenizerFormatException($"Unknown sequence id '{id}'", sequence.Path),
                };
                pieces.Add(new TemplatePiece(index, [], sequence.Int("type_id", 0)));
            }
            else if (item.TryGet("SpecialToken", out var special))
            {
                var id = special.RequiredString("id");
                if (!specials.TryGetValue(id, out var ids))
                {
                    throw new TokenizerFormatException($"Special token '{id}' is missing from special_tokens", special.Path);
                }

                pieces.Add(new TemplatePiece(null, ids, special.Int("type_id", 0)));
            }
            else
            {
                throw new TokenizerFormatException("A template piece must be {\"Sequence\": ...} or {\"SpecialToken\": ...}", item.Path);
            }
        }

        return [.. pieces];
    }

    private sealed record TemplatePiece(int? Sequence, int[] SpecialIds, int TypeId);
}

internal sealed class SequenceProcessor(PostProcessor[] processors) : PostProcessor
{
    public override void Process(List<int> first, List<int>? second, bool addSpecialTokens, List<int> ids, List<int> typeIds)
    {
        // Only one processor in a sequence adds tokens in practice (ByteLevel + Template): use the first that does.
        var adding = processors.FirstOrDefault(p => p.AddedTokenCount(second is not null) > 0) ?? processors.FirstOrDefault();
        if (adding is null)
        {
            AppendPlain(first, second, ids, typeIds);
            return;
        }

        adding.Process(first, second, addSpecialTokens, ids, typeIds);
    }

    public override int AddedTokenCount(bool pair) => processors.Sum(p => p.AddedTokenCount(pair));
}
