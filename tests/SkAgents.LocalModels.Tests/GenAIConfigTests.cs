using SkAgents.LocalModels.GenAI;

namespace SkAgents.LocalModels.Tests;

public class GenAIConfigTests
{
    private const string Phi3 = """
        {
          "model": {
            "bos_token_id": 1,
            "context_length": 4096,
            "decoder": {
              "session_options": { "log_id": "onnxruntime-genai", "provider_options": [] },
              "filename": "phi3-mini-4k-instruct-cpu-int4-rtn-block-32-acc-level-4.onnx",
              "head_size": 96, "hidden_size": 3072,
              "inputs": { "input_ids": "input_ids", "attention_mask": "attention_mask",
                          "past_key_names": "past_key_values.%d.key", "past_value_names": "past_key_values.%d.value" },
              "outputs": { "logits": "logits", "present_key_names": "present.%d.key", "present_value_names": "present.%d.value" },
              "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32
            },
            "eos_token_id": [32000, 32001, 32007],
            "pad_token_id": 32000,
            "type": "phi3",
            "vocab_size": 32064
          },
          "search": {
            "diversity_penalty": 0.0, "do_sample": false, "early_stopping": true, "length_penalty": 1.0,
            "max_length": 4096, "min_length": 0, "no_repeat_ngram_size": 0, "num_beams": 1, "num_return_sequences": 1,
            "past_present_share_buffer": true, "repetition_penalty": 1.0, "temperature": 1.0, "top_k": 1, "top_p": 1.0
          }
        }
        """;

    [Fact]
    public void Reads_a_real_phi3_config()
    {
        var config = GenAIConfig.Parse(Phi3);

        Assert.Equal("phi3", config.Model.Type);
        Assert.Equal([32000, 32001, 32007], config.Model.EosTokenIds);
        Assert.Equal(32, config.Model.Decoder.NumHiddenLayers);
        Assert.Equal(96, config.Model.Decoder.HeadSize);
        Assert.Equal("past_key_values.%d.key", config.Model.Decoder.Inputs.PastKeyNames);
        Assert.Equal("position_ids", config.Model.Decoder.Inputs.PositionIds);
        Assert.True(config.Search.PastPresentShareBuffer);
        Assert.Equal(1, config.Search.TopK);
    }

    [Fact]
    public void A_single_eos_id_is_accepted()
    {
        var config = GenAIConfig.Parse(Phi3.Replace("[32000, 32001, 32007]", "151645", StringComparison.Ordinal));
        Assert.Equal([151645], config.Model.EosTokenIds);
    }

    [Fact]
    public void Missing_settings_are_named()
    {
        var error = Assert.Throws<ModelFolderException>(() => GenAIConfig.Parse("""{ "model": { "type": "qwen2", "decoder": { "filename": "model.onnx" } } }""", "x/genai_config.json"));
        Assert.Contains("x/genai_config.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("num_hidden_layers", error.Message, StringComparison.Ordinal);
        Assert.Contains("eos_token_id is missing", error.Message, StringComparison.Ordinal);
        Assert.Contains("context_length", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Broken_json_beams_and_missing_files_get_clear_errors()
    {
        Assert.Contains("is not valid", Assert.Throws<ModelFolderException>(() => GenAIConfig.Parse("{ \"model\": ")).Message, StringComparison.Ordinal);
        var beams = Assert.Throws<ModelFolderException>(() => GenAIConfig.Parse(Phi3.Replace("\"num_beams\": 1", "\"num_beams\": 4", StringComparison.Ordinal)));
        Assert.Contains("num_beams is 4", beams.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<ModelFolderException>(() => GenAIConfig.Load("/nonexistent/genai_config.json"));
        Assert.Contains("no genai_config.json", missing.Message, StringComparison.Ordinal);
    }
}
