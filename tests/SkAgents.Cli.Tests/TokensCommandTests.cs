using System.Text.Json;

namespace SkAgents.Cli.Tests;

/// <summary><c>skagents tokens encode|decode</c> as a separate process, with a small byte-level BPE tokenizer.</summary>
public sealed class TokensCommandTests : IDisposable
{
    // Byte-level BPE: "h"+"i" merge to "hi", "Ġ" is the byte-level space.
    private const string TokenizerJson = """
        {
          "version": "1.0",
          "added_tokens": [ { "id": 6, "content": "<|end|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true } ],
          "normalizer": null,
          "pre_tokenizer": { "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true },
          "post_processor": null,
          "decoder": { "type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true },
          "model": {
            "type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null, "end_of_word_suffix": null,
            "fuse_unk": false, "byte_fallback": false,
            "vocab": { "h": 0, "i": 1, "Ġ": 2, "hi": 3, "Ġhi": 4, "!": 5 },
            "merges": [ "h i", "Ġ hi" ]
          }
        }
        """;

    private readonly TempDirectory _work = new();

    public TokensCommandTests() => _work.Write("tok/tokenizer.json", TokenizerJson);

    public void Dispose() => _work.Dispose();

    [Fact]
    public async Task Encode_and_decode_json_lines()
    {
        var encoded = await CliProcess.RunAsync(_work.Path, null, "{\"text\": \"hi hi!\"}\n{\"text\": \"hi<|end|>\"}\n", "tokens", "encode", "--tokenizer", "tok");

        Assert.True(encoded.ExitCode == 0, encoded.StdErr);
        var lines = encoded.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["{\"ids\":[3,4,5]}", "{\"ids\":[3,6]}"], lines);

        var decoded = await CliProcess.RunAsync(_work.Path, null, "{\"ids\": [3,4,5]}\n{\"ids\": [3,6]}\n", "tokens", "decode", "--tokenizer", "tok", "--skip-special-tokens");

        Assert.True(decoded.ExitCode == 0, decoded.StdErr);
        var texts = decoded.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString());
        Assert.Equal(["hi hi!", "hi"], texts);
    }

    [Fact]
    public async Task A_bad_line_names_its_number_and_keeps_earlier_output()
    {
        var result = await CliProcess.RunAsync(_work.Path, null, "{\"text\": \"hi\"}\nnot json\n{\"text\": \"hi\"}\n", "tokens", "encode", "--tokenizer", "tok");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("{\"ids\":[3]}", result.StdOut.Trim());
        Assert.Contains("line 2", result.StdErr, StringComparison.Ordinal);

        var missing = await CliProcess.RunAsync(_work.Path, null, string.Empty, "tokens", "encode", "--tokenizer", "nope");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nope", missing.StdErr, StringComparison.Ordinal);
    }
}
