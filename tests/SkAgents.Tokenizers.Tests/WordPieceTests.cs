using SkAgents.Tokenizers;
using static SkAgents.Tokenizers.Tests.TestTokenizers;

namespace SkAgents.Tokenizers.Tests;

public class WordPieceTests
{
    [Fact]
    public void Bert_lowercases_strips_accents_splits_cjk_and_uses_continuations()
    {
        var tokenizer = Tokenizer.FromJson(Bert());
        var encoding = tokenizer.EncodeToTokens("Hello, Worlds! Café unaffable 中文 xyz");
        Assert.Equal([Hello, Comma, World, HashS, Bang, Cafe, Un, HashAff, HashAble, Zhong, Wen, WpUnk], encoding.Ids);
        Assert.Equal(["hello", ",", "world", "##s", "!", "cafe", "un", "##aff", "##able", "中", "文", "[UNK]"], encoding.Tokens);
    }

    [Fact]
    public void Bert_template_adds_cls_and_sep_and_pair_type_ids()
    {
        var tokenizer = Tokenizer.FromJson(Bert());
        Assert.Equal([Cls, Hello, Sep], tokenizer.Encode("hello", addSpecialTokens: true));
        var pair = tokenizer.EncodePair("hello", "world");
        Assert.Equal([Cls, Hello, Sep, World, Sep], pair.Ids);
        Assert.Equal([0, 0, 0, 1, 1], pair.TypeIds);
        Assert.Equal([Hello, World], tokenizer.EncodePair("hello", "world", addSpecialTokens: false).Ids);
    }

    [Fact]
    public void BertProcessing_and_RobertaProcessing()
    {
        var bert = Tokenizer.FromJson(Bert(postProcessor: "bert"));
        Assert.Equal([Cls, Hello, Sep], bert.Encode("hello", addSpecialTokens: true));
        Assert.Equal([Hello], bert.Encode("hello"));
        var pair = bert.EncodePair("hello", "world");
        Assert.Equal([Cls, Hello, Sep, World, Sep], pair.Ids);
        Assert.Equal([0, 0, 0, 1, 1], pair.TypeIds);

        var roberta = Tokenizer.FromJson(Bert(postProcessor: "roberta"));
        Assert.Equal([Cls, Hello, Sep, Sep, World, Sep], roberta.EncodePair("hello", "world").Ids);
    }

    [Fact]
    public void Words_longer_than_max_input_chars_become_unk()
    {
        var tokenizer = Tokenizer.FromJson(Bert(maxChars: 8));
        Assert.Equal([WpUnk, Hello], tokenizer.Encode("unaffable hello"));
    }

    [Fact]
    public void Unmatched_continuation_makes_the_whole_word_unk()
    {
        var tokenizer = Tokenizer.FromJson(Bert());
        Assert.Equal([WpUnk], tokenizer.Encode("unx"));
    }

    [Fact]
    public void Cased_bert_keeps_case_and_accents()
    {
        var tokenizer = Tokenizer.FromJson(Bert(lowercase: "false"));
        Assert.Equal([15, 16], tokenizer.Encode("Hello café"));
    }

    [Fact]
    public void Clean_text_removes_control_characters_and_maps_whitespace()
    {
        var tokenizer = Tokenizer.FromJson(Bert());
        Assert.Equal([Hello, World], tokenizer.Encode("hel\u0000lo\u00A0\u200Bworld\uFFFD"));
    }

    [Fact]
    public void WordPiece_decoder_joins_continuations_and_cleans_up_punctuation()
    {
        var tokenizer = Tokenizer.FromJson(Bert());
        Assert.Equal("hello, worlds! unaffable", tokenizer.Decode([Cls, Hello, Comma, World, HashS, Bang, Un, HashAff, HashAble, Sep], skipSpecialTokens: true));
        Assert.Equal("[CLS] hello [SEP]", tokenizer.Decode([Cls, Hello, Sep]));
    }
}
