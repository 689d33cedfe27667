using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SkAgents.Testing;
using SkAgents.Tokenizers;

namespace SkAgents.Tokenizers.Tests;

/// <summary>Small hand-written tokenizer.json documents.</summary>
internal static class TestTokenizers
{
    /// <summary>GPT-2's byte-to-character table (the shared test helper).</summary>
    public static char ByteChar(int b) => ByteLevelAlphabet.ByteChar(b);

    /// <summary>Byte-level ids when the vocabulary gives each byte character the id of its byte.</summary>
    public static int[] ByteIds(string text) => [.. Encoding.UTF8.GetBytes(text).Select(b => (int)b)];

    /// <summary>A GPT-2 style byte-level BPE: ids 0-255 are the bytes, then a few merged tokens.</summary>
    public static string ByteLevelBpe(bool pairMerges = false, string addedTokens = "[]", string? preTokenizer = null, string? postProcessor = null)
    {
        var vocab = ByteLevelAlphabet.ByteVocabulary();

        string[] extra = ["he", "Ġt", "Ġthe", "ll", "llo", "Ġhe", "Ġhello"];
        for (var i = 0; i < extra.Length; i++)
        {
            vocab[extra[i]] = 256 + i;
        }

        string[][] merges = [["h", "e"], ["Ġ", "t"], ["Ġt", "he"], ["l", "l"], ["ll", "o"], ["Ġ", "he"], ["Ġhe", "llo"]];
        JsonArray mergeArray = pairMerges
            ? [.. merges.Select(m => (JsonNode)new JsonArray(m[0], m[1]))]
            : [.. merges.Select(m => (JsonNode)JsonValue.Create(m[0] + " " + m[1]))];
        var model = ByteLevelAlphabet.BpeModel(vocab, mergeArray);
        return $$"""
        {
          "version": "1.0",
          "added_tokens": {{addedTokens}},
          "normalizer": null,
          "pre_tokenizer": {{preTokenizer ?? """{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}"""}},
          "post_processor": {{postProcessor ?? """{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true}"""}},
          "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
          "model": {{model.ToJsonString()}}
        }
        """;
    }

    /// <summary>Ids of the SentencePiece test tokenizer.</summary>
    public const int Unk = 0, Bos = 1, Eos = 2, Space = 259, A = 260, B = 261, SpaceA = 262, AB = 263, SpaceAB = 264;

    public static int Byte(int b) => 3 + b;

    /// <summary>A Llama-2 style SentencePiece BPE with byte fallback (legacy normalizer form) or Metaspace pre-tokenizer.</summary>
    public static string SentencePieceBpe(bool byteFallback = true, bool metaspace = false, string prependScheme = "first")
    {
        var vocab = new JsonObject { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (var b = 0; b < 256; b++)
        {
            vocab[$"<0x{b:X2}>"] = 3 + b;
        }

        vocab["▁"] = Space;
        vocab["a"] = A;
        vocab["b"] = B;
        vocab["▁a"] = SpaceA;
        vocab["ab"] = AB;
        vocab["▁ab"] = SpaceAB;
        var normalizer = metaspace
            ? "null"
            : """{"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}""";
        var preTokenizer = metaspace
            ? $$"""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "{{prependScheme}}", "split": false}"""
            : "null";
        return $$$"""
        {
          "version": "1.0",
          "added_tokens": [
            {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
            {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
            {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
          ],
          "normalizer": {{{normalizer}}},
          "pre_tokenizer": {{{preTokenizer}}},
          "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}
          },
          "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}
          ]},
          "model": {
            "type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null, "end_of_word_suffix": null,
            "fuse_unk": true, "byte_fallback": {{{(byteFallback ? "true" : "false")}}},
            "vocab": {{{vocab.ToJsonString()}}},
            "merges": ["▁ a", "a b", "▁a b"]
          }
        }
        """;
    }

    /// <summary>Ids of the WordPiece test tokenizer.</summary>
    public const int Pad = 0, WpUnk = 1, Cls = 2, Sep = 3, Hello = 4, World = 5, HashS = 6, Un = 7, HashAff = 8, HashAble = 9, Cafe = 10, Zhong = 11, Wen = 12, Comma = 13, Bang = 14;

    public static string Bert(string postProcessor = "template", int maxChars = 100, string lowercase = "true", string stripAccents = "null")
    {
        var processor = postProcessor switch
        {
            "bert" => """{"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]}""",
            "roberta" => """{"type": "RobertaProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2], "trim_offsets": true, "add_prefix_space": false}""",
            _ => """
                {"type": "TemplateProcessing",
                 "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                 "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                 "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}}
                """,
        };
        return $$"""
        {
          "version": "1.0",
          "added_tokens": [
            {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
            {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
            {"id": 2, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
            {"id": 3, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
          ],
          "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": {{stripAccents}}, "lowercase": {{lowercase}}},
          "pre_tokenizer": {"type": "BertPreTokenizer"},
          "post_processor": {{processor}},
          "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
          "model": {
            "type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": {{maxChars}},
            "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "hello": 4, "world": 5, "##s": 6, "un": 7, "##aff": 8, "##able": 9, "cafe": 10, "中": 11, "文": 12, ",": 13, "!": 14, "Hello": 15, "café": 16}
          }
        }
        """;
    }

    /// <summary>Runs a pre-tokenizer from its JSON on a text and returns the pieces.</summary>
    public static string[] PreTokenize(string json, string text)
    {
        using var document = JsonDocument.Parse(json);
        var preTokenizer = PreTokenizer.Create(new JsonNav(document.RootElement, "$.pre_tokenizer"))!;
        var output = new List<Piece>();
        preTokenizer.PreTokenize(Piece.Of(text, atOrigin: true), output);
        return [.. output.Select(p => p.Span.ToString())];
    }

    /// <summary>Runs a normalizer from its JSON on a text.</summary>
    public static string Normalize(string json, string text)
    {
        using var document = JsonDocument.Parse(json);
        return Normalizer.Create(new JsonNav(document.RootElement, "$.normalizer"))!.Normalize(text);
    }

    /// <summary>Runs a decoder from its JSON on tokens and joins the result.</summary>
    public static string DecodeWith(string json, params string[] tokens)
    {
        using var document = JsonDocument.Parse(json);
        return string.Concat(Decoder.Create(new JsonNav(document.RootElement, "$.decoder"))!.DecodeChain([.. tokens]));
    }
}
