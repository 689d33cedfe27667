using SkAgents.Tokenizers;
using static SkAgents.Tokenizers.Tests.TestTokenizers;

namespace SkAgents.Tokenizers.Tests;

public class ComponentTests
{
    [Theory]
    [InlineData("Isolated", false, new[] { "a", "-", "b", "-", "-", "c" })]
    [InlineData("Removed", false, new[] { "a", "b", "c" })]
    [InlineData("MergedWithPrevious", false, new[] { "a-", "b-", "-", "c" })]
    [InlineData("MergedWithNext", false, new[] { "a", "-b", "-", "-c" })]
    [InlineData("Contiguous", false, new[] { "a", "-", "b", "--", "c" })]
    [InlineData("Removed", true, new[] { "-", "-", "-" })]
    [InlineData("Isolated", true, new[] { "a", "-", "b", "-", "-", "c" })]
    public void Split_behaviors(string behavior, bool invert, string[] expected)
    {
        var json = $$"""{"type": "Split", "pattern": {"String": "-"}, "behavior": "{{behavior}}", "invert": {{(invert ? "true" : "false")}}}""";
        Assert.Equal(expected, PreTokenize(json, "a-b--c"));
    }

    [Fact]
    public void Split_with_regex_and_invert_keeps_matches()
    {
        const string json = """{"type": "Split", "pattern": {"Regex": "\\p{N}{1,3}"}, "behavior": "Isolated", "invert": false}""";
        Assert.Equal(["abc", "123", "4", "x"], PreTokenize(json, "abc1234x"));
    }

    [Fact]
    public void Whitespace_whitespacesplit_punctuation_digits_bert()
    {
        Assert.Equal(["Hey", "friend", "!", "How", "are", "you", "?!"], PreTokenize("""{"type": "Whitespace"}""", "Hey friend!  How are you?!"));
        Assert.Equal(["Hey", "friend!", "How"], PreTokenize("""{"type": "WhitespaceSplit"}""", "Hey friend!\t\nHow "));
        Assert.Equal(["Hey", ",", " you", "!", "!"], PreTokenize("""{"type": "Punctuation", "behavior": "Isolated"}""", "Hey, you!!"));
        Assert.Equal(["a", "1", "2", "b"], PreTokenize("""{"type": "Digits", "individual_digits": true}""", "a12b"));
        Assert.Equal(["a", "12", "b"], PreTokenize("""{"type": "Digits", "individual_digits": false}""", "a12b"));
        Assert.Equal(["hello", ",", "world", "!", "(", "x", ")"], PreTokenize("""{"type": "BertPreTokenizer"}""", "hello, world! (x)"));
    }

    [Fact]
    public void Metaspace_pre_tokenizer_with_split()
    {
        const string json = """{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}""";
        Assert.Equal(["▁Hey", "▁my", "▁friend"], PreTokenize(json, "Hey my friend"));
        const string legacy = """{"type": "Metaspace", "replacement": "▁", "add_prefix_space": false}""";
        Assert.Equal(["Hey", "▁you"], PreTokenize(legacy, "Hey you"));
    }

    [Fact]
    public void ByteLevel_pre_tokenizer_adds_prefix_space_and_maps_bytes()
    {
        const string json = """{"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}""";
        Assert.Equal(["Ġhello", "Ġworld", "!", "Ċ"], PreTokenize(json, "hello world!\n"));
        Assert.Equal(["Ġ" + string.Concat(System.Text.Encoding.UTF8.GetBytes("😀").Select(b => ByteChar(b)))], PreTokenize(json, "😀"));
    }

    [Fact]
    public void Qwen_style_sequence_of_split_and_bytelevel()
    {
        const string json = """
        {"type": "Sequence", "pretokenizers": [
          {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false},
          {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]}
        """;
        Assert.Equal(["I", "'M", "Ġ", "Ġok", "1", "2"], PreTokenize(json, "I'M  ok12"));
    }

    [Fact]
    public void Regex_classes_treat_surrogate_pairs_as_one_character()
    {
        var qwen = RegexTranslator.Create(@"[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s+(?!\S)|\s+", "$");
        Assert.Equal(["😀abc", " 🎉\n\n", "x"], qwen.Matches("😀abc 🎉\n\nx").Select(m => m.Value));

        // Astral letters (mathematical script, CJK extension B) are \p{L} like in Rust.
        var gpt2 = RegexTranslator.Create(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", "$");
        Assert.Equal(["𝒜𝒞", " 𠀀x", " 😀😀"], gpt2.Matches("𝒜𝒞 𠀀x 😀😀").Select(m => m.Value));

        // Astral digits are \p{N}.
        Assert.Equal(["𝟙𝟚"], RegexTranslator.Create(@"\p{N}+", "$").Matches("a𝟙𝟚b").Select(m => m.Value));
    }

    [Fact]
    public void Regex_whitespace_is_unicode_aware_like_rust()
    {
        var regex = RegexTranslator.Create(@"\s+(?!\S)|\s+", "$");
        Assert.Equal(["\u00A0\u2009", "\u3000"], regex.Matches("a\u00A0\u2009\u3000b").Select(m => m.Value));
        Assert.Empty(regex.Matches("a\u200Bb"));
    }

    [Theory]
    [InlineData("""{"type": "NFC"}""", "cafe\u0301", "café")]
    [InlineData("""{"type": "NFD"}""", "café", "cafe\u0301")]
    [InlineData("""{"type": "NFKC"}""", "ﬁ①", "fi1")]
    [InlineData("""{"type": "Lowercase"}""", "ÀBC", "àbc")]
    [InlineData("""{"type": "Strip", "strip_left": true, "strip_right": false}""", "  a  ", "a  ")]
    [InlineData("""{"type": "Strip", "strip_left": true, "strip_right": true}""", "\t a \n", "a")]
    [InlineData("""{"type": "Prepend", "prepend": "▁"}""", "a", "▁a")]
    [InlineData("""{"type": "Prepend", "prepend": "▁"}""", "", "")]
    [InlineData("""{"type": "Replace", "pattern": {"String": " "}, "content": "▁"}""", "a b c", "a▁b▁c")]
    [InlineData("""{"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}""", "a   b  c", "a b c")]
    [InlineData("""{"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}, {"type": "Lowercase"}]}""", "Éclair Çà", "eclair ca")]
    [InlineData("""{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true}""", "Héllo中\tX", "hello 中  x")]
    public void Normalizers(string json, string input, string expected)
    {
        Assert.Equal(expected, Normalize(json, input));
    }

    [Fact]
    public void Decoders_each()
    {
        Assert.Equal("Hello world€", DecodeWith("""{"type": "ByteLevel"}""", "Hello", "Ġworld", "âĤ", "¬"));
        Assert.Equal("\uFFFD", DecodeWith("""{"type": "ByteLevel"}""", "âĤ"));
        Assert.Equal("a€b\uFFFD", DecodeWith("""{"type": "ByteFallback"}""", "a", "<0xE2>", "<0x82>", "<0xAC>", "b", "<0xC3>"));
        Assert.Equal("Hey friend", DecodeWith("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}""", "▁Hey", "▁friend"));
        Assert.Equal(" Hey friend", DecodeWith("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": true}""", "▁Hey", "▁friend"));
        Assert.Equal(" a b", DecodeWith("""{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}""", "▁a", "▁b"));
        Assert.Equal("abc", DecodeWith("""{"type": "Fuse"}""", "a", "b", "c"));
        Assert.Equal(" ax", DecodeWith("""{"type": "Strip", "content": " ", "start": 1, "stop": 1}""", "  a ", " x"));
        Assert.Equal("un aff able", DecodeWith("""{"type": "WordPiece", "prefix": "##", "cleanup": false}""", "un", "aff", "able"));
        Assert.Equal("unaffable.", DecodeWith("""{"type": "WordPiece", "prefix": "##", "cleanup": true}""", "un", "##aff", "##able", "."));
        Assert.Equal("the end", DecodeWith("""{"type": "BPEDecoder", "suffix": "</w>"}""", "the</w>", "end</w>"));
        Assert.Equal("ab €", DecodeWith(
            """{"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}""",
            "▁ab", "▁", "<0xE2>", "<0x82>", "<0xAC>"));
    }

    [Fact]
    public void Tokenizer_without_decoder_joins_tokens_with_spaces()
    {
        const string json = """{"pre_tokenizer": {"type": "WhitespaceSplit"}, "model": {"type": "WordLevel", "unk_token": "?", "vocab": {"?": 0, "a": 1, "b": 2}}}""";
        var tokenizer = Tokenizer.FromJson(json);
        Assert.Equal("a b ?", tokenizer.Decode(tokenizer.Encode("a b c")));
    }
}
