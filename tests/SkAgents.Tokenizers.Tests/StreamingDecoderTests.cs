using System.Text;
using SkAgents.Tokenizers;
using static SkAgents.Tokenizers.Tests.TestTokenizers;

namespace SkAgents.Tokenizers.Tests;

public class StreamingDecoderTests
{
    [Fact]
    public void Emoji_split_over_byte_level_tokens_appears_only_when_complete()
    {
        var tokenizer = Tokenizer.FromJson(ByteLevelBpe());
        var stream = tokenizer.CreateStreamingDecoder();
        var ids = tokenizer.Encode("hi 😀!");
        var outputs = ids.Select(stream.Append).ToList();
        Assert.Equal(["h", "i", " ", "", "", "", "😀", "!"], outputs);
        Assert.Equal(string.Empty, stream.Flush());
    }

    [Fact]
    public void Cjk_character_over_byte_fallback_tokens_appears_only_when_complete()
    {
        var tokenizer = Tokenizer.FromJson(SentencePieceBpe());
        var ids = tokenizer.Encode("ab 中ab");
        Assert.Equal([SpaceAB, Space, Byte(0xE4), Byte(0xB8), Byte(0xAD), AB], ids);
        var stream = tokenizer.CreateStreamingDecoder();
        Assert.Equal(["ab", " ", "", "", "中", "ab"], ids.Select(stream.Append));
    }

    [Fact]
    public void Euro_sign_from_three_byte_tokens()
    {
        var tokenizer = Tokenizer.FromJson(SentencePieceBpe());
        var stream = tokenizer.CreateStreamingDecoder();
        Assert.Equal(string.Empty, stream.Append(Byte(0xE2)));
        Assert.Equal(string.Empty, stream.Append(Byte(0x82)));
        Assert.Equal("€", stream.Append(Byte(0xAC)));
    }

    [Fact]
    public void Flush_returns_incomplete_bytes_as_replacement_characters_and_resets()
    {
        var tokenizer = Tokenizer.FromJson(SentencePieceBpe());
        var stream = tokenizer.CreateStreamingDecoder();
        Assert.Equal("ab", stream.Append(SpaceAB));
        Assert.Equal(string.Empty, stream.Append(Byte(0xE2)));
        Assert.Equal(string.Empty, stream.Append(Byte(0x82)));
        Assert.Equal("\uFFFD\uFFFD", stream.Flush());
        Assert.Equal("ab", stream.Append(SpaceAB));
    }

    [Fact]
    public void Spacing_matches_whole_sequence_decoding_and_special_tokens_can_be_skipped()
    {
        var tokenizer = Tokenizer.FromJson(SentencePieceBpe());
        int[] ids = [Bos, SpaceAB, SpaceA, Space, B, Eos];
        var stream = tokenizer.CreateStreamingDecoder(skipSpecialTokens: true);
        var sb = new StringBuilder();
        foreach (var id in ids)
        {
            sb.Append(stream.Append(id));
        }

        sb.Append(stream.Flush());
        Assert.Equal(tokenizer.Decode(ids, skipSpecialTokens: true), sb.ToString());
        Assert.Equal("ab a b", sb.ToString());
    }

    [Fact]
    public void Long_stream_stays_equal_to_full_decode()
    {
        var tokenizer = Tokenizer.FromJson(ByteLevelBpe());
        var text = string.Concat(Enumerable.Repeat("hello 世界 😀 the ", 50));
        var ids = tokenizer.Encode(text);
        var stream = tokenizer.CreateStreamingDecoder();
        var sb = new StringBuilder();
        foreach (var id in ids)
        {
            var piece = stream.Append(id);
            Assert.DoesNotContain('\uFFFD', piece);
            sb.Append(piece);
        }

        Assert.Equal(text, sb.ToString());
    }
}
