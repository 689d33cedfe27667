using System.Text.Json.Nodes;
using SkAgents.LocalModels.GenAI;
using SkAgents.ModelFactory.Models;
using static SkAgents.LocalModels.Tests.DecoderTestModels;

namespace SkAgents.LocalModels.Tests;

public class DecoderValidationTests
{
    [Fact]
    public void Missing_folder_and_missing_config_are_named()
    {
        using var temp = new DecoderTempFolder();
        var ex = Assert.Throws<ModelFolderException>(() => OnnxDecoderModel.Load(temp.Sub("nowhere")));
        Assert.Contains("does not exist", ex.Message);
        ex = Assert.Throws<ModelFolderException>(() => OnnxDecoderModel.Load(temp.Path));
        Assert.Contains("genai_config.json", ex.Message);
    }

    [Fact]
    public void Corrupt_config_is_reported()
    {
        using var temp = new DecoderTempFolder();
        var folder = TinyDecoderFactory.Write(temp.Sub("m"));
        File.WriteAllText(folder.ConfigPath, "{ \"model\": { \"type\": ");
        var ex = Assert.Throws<ModelFolderException>(() => OnnxDecoderModel.Load(folder.Directory));
        Assert.Contains("not valid", ex.Message);
    }

    [Fact]
    public void Missing_decoder_file_is_named()
    {
        using var temp = new DecoderTempFolder();
        var folder = TinyDecoderFactory.Write(temp.Sub("m"));
        File.Delete(Path.Combine(folder.Directory, "model.onnx"));
        var ex = Assert.Throws<ModelFolderException>(() => OnnxDecoderModel.Load(folder.Directory));
        Assert.Contains("'model.onnx'", ex.Message);
        Assert.Contains("missing", ex.Message);
    }

    [Fact]
    public void Unloadable_decoder_file_is_reported()
    {
        using var temp = new DecoderTempFolder();
        var folder = TinyDecoderFactory.Write(temp.Sub("m"));
        File.WriteAllBytes(Path.Combine(folder.Directory, "model.onnx"), [1, 2, 3, 4, 5]);
        var ex = Assert.Throws<ModelFolderException>(() => OnnxDecoderModel.Load(folder.Directory));
        Assert.Contains("could not load", ex.Message);
    }

    public static TheoryData<string, string, string> Mismatches => new()
    {
        { "model.decoder.num_hidden_layers", "3", "missing input 'past_key_values.2.key'" },
        { "model.decoder.num_hidden_layers", "1", "has input 'past_key_values.1.key'" },
        { "model.decoder.num_key_value_heads", "4", "has 2 KV heads" },
        { "model.decoder.head_size", "16", "has head size 8" },
        { "model.vocab_size", "300", "but model.vocab_size is 300" },
        { "model.decoder.inputs.past_key_names", "\"past.%d.key\"", "missing input 'past.0.key'" },
        { "model.decoder.outputs.present_value_names", "\"present_value.%d\"", "missing output 'present_value.0'" },
        { "model.decoder.outputs.logits", "\"scores\"", "missing output 'scores'" },
        { "model.decoder.inputs.position_ids", "\"positions\"", "input 'position_ids'" },
        { "model.decoder.inputs.attention_mask", "\"past_key_values.0.key\"", "has element type Float; expected Int64" },
        { "model.decoder.inputs.input_ids", "\"ids\"", "missing input 'ids'" },
    };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public void Config_and_session_mismatches_are_named(string path, string json, string expected)
    {
        using var temp = new DecoderTempFolder();
        var folder = TinyDecoderFactory.Write(temp.Sub("m"));
        var config = folder.ReadConfig();
        var parts = path.Split('.');
        JsonObject node = config;
        foreach (var part in parts[..^1])
        {
            node = node[part]!.AsObject();
        }

        node[parts[^1]] = JsonNode.Parse(json);
        folder.WriteConfig(config);
        var ex = Assert.Throws<ModelFolderException>(() => OnnxDecoderModel.Load(folder.Directory));
        Assert.Contains(expected, ex.Message);
        Assert.Contains("does not match genai_config.json", ex.Message);
    }

    [Fact]
    public void Missing_vocab_size_is_taken_from_the_logits()
    {
        using var temp = new DecoderTempFolder();
        var folder = GqaDecoderFactory.Write(temp.Sub("m"));
        var config = folder.ReadConfig();
        config["model"]!.AsObject().Remove("vocab_size");
        folder.WriteConfig(config);
        using var model = OnnxDecoderModel.Load(folder.Directory);
        Assert.Equal(folder.Vocabulary.ModelVocabularySize, model.VocabularySize);
    }

    [Fact]
    public void Session_options_come_from_config_and_options()
    {
        using var temp = new DecoderTempFolder();
        var folder = GqaDecoderFactory.Write(temp.Sub("m"));
        var config = folder.ReadConfig();
        var session = config["model"]!["decoder"]!["session_options"]!.AsObject();
        session["intra_op_num_threads"] = 1;
        session["graph_optimization_level"] = "ORT_ENABLE_BASIC";
        session["config_entries"] = new JsonObject { ["session.intra_op.allow_spinning"] = "0" };
        folder.WriteConfig(config);
        using (var model = OnnxDecoderModel.Load(folder.Directory, new OnnxDecoderOptions { AllowSpinning = true }))
        {
            Assert.Equal(GenAI.KvCacheMode.SharedBuffer, model.KvCacheMode);
            Assert.Equal(1, model.Config.Model.Decoder.SessionOptions.IntraOpNumThreads);
        }

        session["graph_optimization_level"] = "FASTEST";
        folder.WriteConfig(config);
        var ex = Assert.Throws<ModelFolderException>(() => OnnxDecoderModel.Load(folder.Directory));
        Assert.Contains("graph_optimization_level", ex.Message);
    }
}
