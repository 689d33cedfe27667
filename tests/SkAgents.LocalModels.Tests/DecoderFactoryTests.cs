using Microsoft.Extensions.AI;
using SkAgents.LocalModels.ChatFormats;
using SkAgents.LocalModels.GenAI;
using SkAgents.LocalModels.Generation;
using SkAgents.ModelFactory;
using SkAgents.ModelFactory.Models;
using SkAgents.OnnxRuntime;
using SkAgents.Tokenizers;
using static SkAgents.LocalModels.Tests.DecoderTestModels;

namespace SkAgents.LocalModels.Tests;

public class DecoderFactoryTests
{
    [Theory]
    [InlineData(TinyChatStyle.Qwen)]
    [InlineData(TinyChatStyle.Phi3)]
    [InlineData(TinyChatStyle.Phi4Mini)]
    public void Written_tokenizer_loads_and_matches_the_vocabulary(TinyChatStyle style)
    {
        using var temp = new DecoderTempFolder();
        var folder = TinyDecoderFactory.Write(temp.Sub("m"), new TinyDecoderOptions { Style = style, Layers = 1 });
        var tokenizer = Tokenizer.FromDirectory(folder.Directory);
        var vocabulary = folder.Vocabulary;
        Assert.Equal(vocabulary.TokenizerSize, tokenizer.VocabularySize);
        foreach (var text in new[] { "Hello, wörld! 😀", "<|im_start|>user\nhi<|im_end|>\n", "<|user|>\nhi<|end|>\n<|assistant|>\n", "<|tool_call|>[{\"name\": \"f\"}]<|/tool_call|>" })
        {
            Assert.Equal(vocabulary.Encode(text), tokenizer.Encode(text));
            if (style != TinyChatStyle.Phi3)
            {
                // Phi-3's chat markers absorb the whitespace after them (rstrip), as in the real tokenizer.
                Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
            }
        }
    }

    [Theory]
    [InlineData(false, TinyChatStyle.Qwen)]
    [InlineData(true, TinyChatStyle.Qwen)]
    [InlineData(false, TinyChatStyle.Phi3)]
    [InlineData(true, TinyChatStyle.Phi4Mini)]
    public void Spelling_model_answers_a_rendered_chat_prompt_with_the_chosen_text(bool gqa, TinyChatStyle style)
    {
        using var temp = new DecoderTempFolder();
        string reply = style == TinyChatStyle.Phi4Mini
            ? "<|tool_call|>[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]<|/tool_call|>"
            : "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        if (style == TinyChatStyle.Phi3)
        {
            reply = "It is sunny in Paris.";
        }

        var folder = gqa ? GqaDecoderFactory.WriteSpelling(temp.Sub("m"), style, reply) : TinyDecoderFactory.WriteSpelling(temp.Sub("m"), style, reply);
        var tokenizer = Tokenizer.FromDirectory(folder.Directory);
        var config = GenAIConfig.Load(folder.ConfigPath);
        var format = ChatFormat.Detect(config.Model.Type, t => tokenizer.AddedTokens.Any(a => a.Content == t));
        string prompt = format.Render([new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "Weather in Paris?")]);
        var ids = tokenizer.Encode(prompt);

        using var model = OnnxDecoderModel.Load(folder.Directory, SingleThread());
        var (tokens, reason) = Generate(model, ids, new GenerationSettings { MaxNewTokens = 200 }, new HashSet<int>(config.Model.EosTokenIds));
        Assert.Equal(GenerationStopReason.EndOfSequence, reason);
        Assert.Equal(reply, tokenizer.Decode(tokens.Take(tokens.Count - 1)));
        Assert.Equal(folder.ExpectedGreedy(ids, 200), tokens);
        if (style != TinyChatStyle.Phi3)
        {
            var parsed = format.ParseOutput(tokenizer.Decode(tokens, skipSpecialTokens: true));
            var call = Assert.Single(parsed.Calls);
            Assert.Equal("get_weather", call.Name);
        }
    }

    [Fact]
    public void Script_reference_semantics_match_the_description()
    {
        var vocabulary = TinyVocabulary.For(TinyChatStyle.Qwen);
        var script = DecoderScript.ForChat(vocabulary).Reply(0, "A").Reply(4, "B");
        int[] round1 = vocabulary.Encode("<|im_start|>system\ns<|im_end|>\n<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n");
        Assert.Equal(3, script.CountAnchors(round1));
        Assert.Equal(['A', vocabulary.Id("<|im_end|>")], script.Continue(round1, 10));
        int[] round2 = [.. round1, 'A', vocabulary.Id("<|im_end|>"), .. vocabulary.Encode("\n<|im_start|>user\nr<|im_end|>\n<|im_start|>assistant\n")];
        Assert.Equal(['B', vocabulary.Id("<|im_end|>")], script.Continue(round2, 10));
        Assert.Equal("cde", vocabulary.Decode(DecoderScript.Letters(0).Continue([1, 2], 3)));
    }

    [Fact]
    public void MatMulNBits_packing_matches_the_dequantized_weights()
    {
        const int k = 64, n = 5, m = 3;
        var random = new Random(3);
        var w = new float[k * n];
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = (random.NextSingle() * 2) - 1;
        }

        var matrix = Int4Quantizer.Quantize(w, k, n);
        var dequantized = matrix.Dequantize();
        for (int i = 0; i < w.Length; i++)
        {
            Assert.True(Math.Abs(w[i] - dequantized[i]) <= (1f / 7f) + 1e-6f);
        }

        var builder = new OnnxModelBuilder("nbits").Opset(string.Empty, 21).Opset("com.microsoft", 1);
        var g = builder.Graph;
        g.Input("X", OnnxDataType.Float, m, k);
        g.Identity(matrix.MatMul(g, "X", "w", accuracyLevel: 0), "Y");
        g.Output("Y", OnnxDataType.Float, m, n);
        using var session = InferenceSession.FromBytes(builder.ToBytes());
        var x = new float[m * k];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (random.NextSingle() * 2) - 1;
        }

        using var input = OrtValue.CreateTensor(x, [m, k]);
        using var outputs = session.Run(["X"], [input], ["Y"]);
        var y = outputs[0].GetTensorSpan<float>();
        for (int row = 0; row < m; row++)
        {
            for (int col = 0; col < n; col++)
            {
                float expected = 0;
                for (int i = 0; i < k; i++)
                {
                    expected += x[(row * k) + i] * dequantized[(i * n) + col];
                }

                Assert.True(Math.Abs(expected - y[(row * n) + col]) < 1e-4f, $"Y[{row},{col}] = {y[(row * n) + col]}, expected {expected}.");
            }
        }
    }

    [Fact]
    public void Realistic_decoder_with_reduced_layers_and_vocabulary_runs()
    {
        using var temp = new DecoderTempFolder();
        string folder = RealisticDecoderFactory.Write(temp.Sub("qwen"), DecoderDimensions.Qwen25HalfB, layers: 1, vocabulary: 1024);
        using var model = OnnxDecoderModel.Load(folder, SingleThread());
        Assert.Equal(1024, model.VocabularySize);
        Assert.Equal(KvCacheMode.SharedBuffer, model.KvCacheMode);
        Assert.Equal(4096, model.DefaultMaxLength);
        Assert.Equal(2L * 1 * 2 * 64 * 4096 * 4, model.KvCacheBytes(4096));
        using var sequence = model.StartSequence(64);
        var logits = sequence.Forward(Bytes("benchmark prompt"), CancellationToken.None);
        float magnitude = Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(logits));
        Assert.True(magnitude is > 0 and < 1e4f, $"Largest logit magnitude {magnitude}.");
        for (int i = 0; i < 5; i++)
        {
            logits = sequence.Forward([System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits)], CancellationToken.None);
        }

        Assert.All(logits.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.True(DecoderDimensions.Phi3Mini.EstimatedBytes > 1_900_000_000L);
        Assert.Throws<ArgumentException>(() => RealisticDecoderFactory.Write(temp.Sub("phi"), DecoderDimensions.Phi3Mini));
    }
}
