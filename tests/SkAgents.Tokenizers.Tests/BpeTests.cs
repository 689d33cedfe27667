using SkAgents.Tokenizers;
using static SkAgents.Tokenizers.Tests.TestTokenizers;

namespace SkAgents.Tokenizers.Tests;

public class BpeTests
{
    [Fact]
    public void Byte_level_bpe_applies_merges_by_rank()
    {
        var tokenizer = Tokenizer.FromJson(ByteLevelBpe());

        // "the" -> t + he (no "t he" merge); " hello" -> Ġhello via Ġ+he, l+l, ll+o, Ġhe+llo.
        Assert.Equal([(int)'t', 256, 262], tokenizer.Encode("the hello"));
        Assert.Equal(["t", "he", "Ġhello"], tokenizer.EncodeToTokens("the hello").Tokens);
        Assert.Equal([258], tokenizer.Encode(" the"));
    }

    [Fact]
    public void Byte_level_bpe_round_trips_any_unicode()
    {
        var tokenizer = Tokenizer.FromJson(ByteLevelBpe());
        const string text = "naïve 😀 中文\r\n\ttabs  end ";
        var ids = tokenizer.Encode(text);
        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.Equal(ByteIds("😀"), tokenizer.Encode("😀"));
    }

    [Fact]
    public void Merges_in_string_and_pair_form_give_the_same_ids()
    {
        var legacy = Tokenizer.FromJson(ByteLevelBpe(pairMerges: false));
        var pairs = Tokenizer.FromJson(ByteLevelBpe(pairMerges: true));
        const string text = "hello the hell, he said: hello!";
        Assert.Equal(legacy.Encode(text), pairs.Encode(text));
        Assert.Contains(262, pairs.Encode(text));
    }

    [Fact]
    public void Pair_merges_allow_tokens_with_spaces()
    {
        const string json = """
        {"model": {"type": "BPE", "vocab": {"a": 0, " ": 1, "b": 2, "a ": 3, "a b": 4}, "merges": [["a", " "], ["a ", "b"]]}}
        """;
        var tokenizer = Tokenizer.FromJson(json);
        Assert.Equal([4, 1, 0], tokenizer.Encode("a b a"));
    }

    [Fact]
    public void Ignore_merges_takes_whole_words_from_the_vocabulary()
    {
        const string json = """
        {"model": {"type": "BPE", "ignore_merges": true, "vocab": {"a": 0, "b": 1, "c": 2, "ab": 3, "abc": 4, "bc": 5}, "merges": ["b c", "a b"]}}
        """;
        var tokenizer = Tokenizer.FromJson(json);
        Assert.Equal([4], tokenizer.Encode("abc"));

        var withMerges = Tokenizer.FromJson(json.Replace("\"ignore_merges\": true", "\"ignore_merges\": false", StringComparison.Ordinal));
        Assert.Equal([0, 5], withMerges.Encode("abc"));
    }

    [Fact]
    public void Continuing_subword_prefix_and_end_of_word_suffix()
    {
        const string json = """
        {"pre_tokenizer": {"type": "WhitespaceSplit"},
         "decoder": {"type": "BPEDecoder", "suffix": "</w>"},
         "model": {"type": "BPE", "end_of_word_suffix": "</w>",
           "vocab": {"l": 0, "o": 1, "w": 2, "l</w>": 3, "o</w>": 4, "w</w>": 5, "lo": 6, "low</w>": 7},
           "merges": ["l o", "lo w</w>"]}}
        """;
        var tokenizer = Tokenizer.FromJson(json);
        Assert.Equal([7, 6, 4, 3], tokenizer.Encode("low loo l"));
        Assert.Equal("low loo l", tokenizer.Decode([7, 6, 4, 3]));

        const string prefixed = """
        {"model": {"type": "BPE", "continuing_subword_prefix": "##",
           "vocab": {"a": 0, "##b": 1, "##c": 2, "ab": 3, "abc": 4}, "merges": ["a ##b", "ab ##c"]}}
        """;
        Assert.Equal([4], Tokenizer.FromJson(prefixed).Encode("abc"));
    }

    [Fact]
    public void SentencePiece_bpe_with_normalizer_prepends_and_replaces_spaces()
    {
        var tokenizer = Tokenizer.FromJson(SentencePieceBpe());
        Assert.Equal([SpaceAB, SpaceA, Space, B, Space], tokenizer.Encode("ab a b "));
        Assert.Equal([Bos, SpaceAB], tokenizer.Encode("ab", addSpecialTokens: true));
        Assert.Equal("ab a b ", tokenizer.Decode(tokenizer.Encode("ab a b ")));
    }

    [Fact]
    public void Byte_fallback_encodes_unknown_characters_as_bytes_and_decodes_them()
    {
        var tokenizer = Tokenizer.FromJson(SentencePieceBpe());
        Assert.Equal([SpaceAB, Space, Byte(0xE2), Byte(0x82), Byte(0xAC)], tokenizer.Encode("ab €"));
        Assert.Equal(["▁ab", "▁", "<0xE2>", "<0x82>", "<0xAC>"], tokenizer.EncodeToTokens("ab €").Tokens);
        Assert.Equal("€", tokenizer.Decode([Byte(0xE2), Byte(0x82), Byte(0xAC)]));
        Assert.Equal("ab €", tokenizer.Decode(tokenizer.Encode("ab €")));
    }

    [Fact]
    public void Byte_fallback_invalid_bytes_decode_to_one_replacement_char_per_byte()
    {
        var tokenizer = Tokenizer.FromJson(SentencePieceBpe());
        Assert.Equal("\uFFFD\uFFFD", tokenizer.Decode([Byte(0xE2), Byte(0x82)]));
        Assert.Equal("\uFFFDab", tokenizer.Decode([Byte(0xFF), AB]));
    }

    [Fact]
    public void Unknown_characters_without_byte_fallback_fuse_into_one_unk()
    {
        var tokenizer = Tokenizer.FromJson(SentencePieceBpe(byteFallback: false));
        Assert.Equal([Space, Unk, SpaceA], tokenizer.Encode("xyz a"));
    }

    [Fact]
    public void Metaspace_prepend_scheme_first_only_prefixes_the_start_of_the_text()
    {
        var first = Tokenizer.FromJson(SentencePieceBpe(metaspace: true, prependScheme: "first"));
        Assert.Equal([SpaceAB], first.Encode("ab"));
        Assert.Equal([Bos, AB], first.Encode("<s>ab"));

        var always = Tokenizer.FromJson(SentencePieceBpe(metaspace: true, prependScheme: "always"));
        Assert.Equal([Bos, SpaceAB], always.Encode("<s>ab"));

        var never = Tokenizer.FromJson(SentencePieceBpe(metaspace: true, prependScheme: "never"));
        Assert.Equal([AB, SpaceA], never.Encode("ab a"));
    }

    [Fact]
    public void Long_words_and_repeated_words_are_consistent_with_the_cache()
    {
        var tokenizer = Tokenizer.FromJson(ByteLevelBpe());
        var word = string.Concat(Enumerable.Repeat("hello", 200));
        var once = tokenizer.Encode(word);
        Assert.Equal(once, tokenizer.Encode(word));
        var text = string.Join(' ', Enumerable.Repeat("hello the", 500));
        var ids = tokenizer.Encode(text);
        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.Equal(ids.Count, tokenizer.CountTokens(text));
    }

    [Fact]
    public void Truncation_keeps_room_for_special_tokens()
    {
        var tokenizer = Tokenizer.FromJson(SentencePieceBpe());
        Assert.Equal([Bos, SpaceAB, SpaceAB], tokenizer.EncodeTruncated("ab ab ab ab", 3, addSpecialTokens: true));
        Assert.Equal([SpaceAB, SpaceAB], tokenizer.EncodeTruncated("ab ab ab ab", 2));
        Assert.Equal([SpaceAB, SpaceAB], tokenizer.EncodeTruncated("ab ab", 10));
        Assert.Equal(5, tokenizer.CountTokens("ab ab ab ab", addSpecialTokens: true));
    }
}
