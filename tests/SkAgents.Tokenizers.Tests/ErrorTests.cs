using SkAgents.Tokenizers;

namespace SkAgents.Tokenizers.Tests;

public class ErrorTests
{
    [Fact]
    public void Missing_file_throws_tokenizer_exception_naming_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "tokenizer.json");
        var ex = Assert.Throws<TokenizerException>(() => Tokenizer.FromFile(path));
        Assert.Contains(path, ex.Message);
        Assert.IsAssignableFrom<IOException>(ex.InnerException);
    }

    [Fact]
    public void Missing_directory_throws_tokenizer_exception()
    {
        var dir = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"));
        var ex = Assert.Throws<TokenizerException>(() => Tokenizer.FromDirectory(dir));
        Assert.Contains(dir, ex.Message);
    }

    [Fact]
    public void Directory_without_tokenizer_json_throws()
    {
        var dir = Directory.CreateTempSubdirectory("tok-test-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{}");
            var ex = Assert.Throws<TokenizerException>(() => Tokenizer.FromDirectory(dir));
            Assert.Contains("tokenizer.json", ex.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void FromDirectory_loads_tokenizer_and_config()
    {
        var dir = Directory.CreateTempSubdirectory("tok-test-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), TestTokenizers.SentencePieceBpe());
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"bos_token": "<s>", "eos_token": "</s>", "add_bos_token": true}""");
            var tokenizer = Tokenizer.FromDirectory(dir);
            Assert.Equal(TestTokenizers.Eos, tokenizer.SpecialTokens.EosTokenId);
            Assert.True(tokenizer.SpecialTokens.AddBosToken);
            Assert.Equal([TestTokenizers.SpaceAB], tokenizer.Encode("ab"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Malformed_json_throws_format_exception()
    {
        var ex = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson("{\"model\": {\"type\": \"BPE\", "));
        Assert.Contains("not valid JSON", ex.Message);
        Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson("[1, 2]"));
        Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson(TestTokenizers.SentencePieceBpe(), "{ nope"));
    }

    [Fact]
    public void Unsupported_pre_tokenizer_names_the_type_and_path()
    {
        const string json = """
        {"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "UnicodeScripts"}]},
         "model": {"type": "WordLevel", "vocab": {"a": 0}}}
        """;
        var ex = Assert.Throws<UnsupportedTokenizerComponentException>(() => Tokenizer.FromJson(json));
        Assert.Equal("UnicodeScripts", ex.ComponentType);
        Assert.Equal("pre_tokenizer", ex.ComponentKind);
        Assert.Equal("$.pre_tokenizer.pretokenizers[1]", ex.JsonPath);
        Assert.Contains("UnicodeScripts", ex.Message);
        Assert.Contains("$.pre_tokenizer.pretokenizers[1]", ex.Message);
    }

    [Theory]
    [InlineData("""{"model": {"type": "Unigram", "vocab": [["a", 0.0]]}}""", "model", "Unigram")]
    [InlineData("""{"normalizer": {"type": "Precompiled"}, "model": {"type": "WordLevel", "vocab": {}}}""", "normalizer", "Precompiled")]
    [InlineData("""{"decoder": {"type": "CTC"}, "model": {"type": "WordLevel", "vocab": {}}}""", "decoder", "CTC")]
    [InlineData("""{"post_processor": {"type": "Magic"}, "model": {"type": "WordLevel", "vocab": {}}}""", "post_processor", "Magic")]
    public void Unsupported_components_are_reported(string json, string kind, string type)
    {
        var ex = Assert.Throws<UnsupportedTokenizerComponentException>(() => Tokenizer.FromJson(json));
        Assert.Equal(kind, ex.ComponentKind);
        Assert.Equal(type, ex.ComponentType);
    }

    [Fact]
    public void Missing_model_and_bad_merges_are_format_errors()
    {
        Assert.Contains("'model'", Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson("{}")).Message);
        var ex = Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson("""{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a zz"]}}"""));
        Assert.Equal("$.model.merges[0]", ex.JsonPath);
        Assert.Contains("zz", ex.Message);
        Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson("""{"model": {"type": "BPE", "vocab": {"a": "x"}}}"""));
        Assert.Throws<TokenizerFormatException>(() => Tokenizer.FromJson("""{"model": {"type": "WordPiece", "vocab": {"a": 0}}}"""));
    }

    [Fact]
    public void Invalid_arguments_throw()
    {
        var tokenizer = Tokenizer.FromJson(TestTokenizers.SentencePieceBpe());
        Assert.Throws<ArgumentNullException>(() => tokenizer.Encode(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.EncodeTruncated("ab", -1));
        Assert.Empty(tokenizer.Encode(string.Empty));
        Assert.Equal(string.Empty, tokenizer.Decode([]));
    }
}
