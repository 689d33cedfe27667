using SkAgents.Tokenizers;
using static SkAgents.Tokenizers.Tests.TestTokenizers;

namespace SkAgents.Tokenizers.Tests;

public class AddedTokenTests
{
    private const string Added = """
    [
      {"id": 300, "content": "<|end|>", "single_word": false, "lstrip": false, "rstrip": true, "normalized": false, "special": true},
      {"id": 301, "content": "<mask>", "single_word": false, "lstrip": true, "rstrip": false, "normalized": false, "special": true},
      {"id": 302, "content": "tok", "single_word": true, "lstrip": false, "rstrip": false, "normalized": true, "special": false},
      {"id": 303, "content": "<|end|>x", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
    ]
    """;

    private static Tokenizer Create() => Tokenizer.FromJson(ByteLevelBpe(addedTokens: Added));

    [Fact]
    public void Rstrip_absorbs_whitespace_after_the_token()
    {
        var ids = Create().Encode("hi<|end|>   yo");
        Assert.Equal([.. ByteIds("hi"), 300, .. ByteIds("yo")], ids);
    }

    [Fact]
    public void Lstrip_absorbs_whitespace_before_the_token()
    {
        Assert.Equal([.. ByteIds("hi"), 301, .. ByteIds(" yo")], Create().Encode("hi  <mask> yo"));
    }

    [Fact]
    public void Single_word_tokens_only_match_whole_words()
    {
        var tokenizer = Create();
        Assert.Equal([302, .. tokenizer.Encode(" toks")], tokenizer.Encode("tok toks"));
        Assert.Equal([257, .. ByteIds("oks")], tokenizer.Encode(" toks"));
        Assert.Equal([.. ByteIds("a"), .. ByteIds("tok")], Create().Encode("atok"));
    }

    [Fact]
    public void Longest_added_token_wins_at_the_same_position()
    {
        Assert.Equal([303, .. ByteIds("y")], Create().Encode("<|end|>xy"));
    }

    [Fact]
    public void Skip_special_tokens_drops_special_but_keeps_plain_added_tokens()
    {
        var tokenizer = Create();
        var ids = tokenizer.Encode("tok<|end|>");
        Assert.Equal("tok<|end|>", tokenizer.Decode(ids));
        Assert.Equal("tok", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.True(tokenizer.IsSpecialToken(300));
        Assert.False(tokenizer.IsSpecialToken(302));
        Assert.Equal(4, tokenizer.AddedTokens.Count);
        Assert.Equal(304, tokenizer.VocabularySize);
        Assert.Equal(300, tokenizer.TokenToId("<|end|>"));
        Assert.Equal("<mask>", tokenizer.IdToToken(301));
        Assert.Equal(262, tokenizer.TokenToId("Ġhello"));
        Assert.Null(tokenizer.TokenToId("nope"));
        Assert.Null(tokenizer.IdToToken(99999));
    }

    [Fact]
    public void Normalized_added_tokens_are_matched_after_normalization()
    {
        const string json = """
        {"added_tokens": [{"id": 5, "content": "hey", "normalized": true, "special": false}],
         "normalizer": {"type": "Lowercase"},
         "pre_tokenizer": {"type": "WhitespaceSplit"},
         "model": {"type": "WordLevel", "unk_token": "?", "vocab": {"?": 0, "you": 1}}}
        """;
        var tokenizer = Tokenizer.FromJson(json);
        Assert.Equal([5, 1, 0], tokenizer.Encode("HEY you them"));
    }

    [Fact]
    public void Config_supplies_special_tokens_and_bos_when_there_is_no_post_processor()
    {
        const string json = """
        {"added_tokens": [{"id": 0, "content": "<s>", "special": true}, {"id": 1, "content": "</s>", "special": true}],
         "pre_tokenizer": {"type": "WhitespaceSplit"},
         "model": {"type": "WordLevel", "unk_token": "?", "vocab": {"<s>": 0, "</s>": 1, "?": 2, "hi": 3}}}
        """;
        const string config = """
        {"add_bos_token": true, "add_eos_token": true, "bos_token": {"content": "<s>", "__type": "AddedToken"}, "eos_token": "</s>", "unk_token": "?", "model_max_length": 1e30,
         "chat_template": [{"name": "default", "template": "{{ messages }}"}]}
        """;
        var tokenizer = Tokenizer.FromJson(json, config);
        Assert.Equal([0, 3, 1], tokenizer.Encode("hi", addSpecialTokens: true));
        Assert.Equal([3], tokenizer.Encode("hi"));
        Assert.Equal(0, tokenizer.SpecialTokens.BosTokenId);
        Assert.Equal(1, tokenizer.SpecialTokens.EosTokenId);
        Assert.Equal(2, tokenizer.SpecialTokens.UnkTokenId);
        Assert.Null(tokenizer.ModelMaxLength);
        Assert.Equal("{{ messages }}", tokenizer.ChatTemplate);
    }
}
