using SkAgents.LocalModels.Captioning;
using SkAgents.LocalModels.GenAI;
using SkAgents.ModelFactory.Models;

namespace SkAgents.LocalModels.Tests;

public sealed class ImageCaptionerTests : IDisposable
{
    private const int Side = TinyCaptionerFactory.ImageSize;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "skagents-captioner-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    /// <summary>A normalized [3, side, side] tensor of one colour (ViT normalization: mean 0.5, std 0.5, so −1…1).</summary>
    private static float[] Solid(float r, float g, float b)
    {
        var tensor = new float[3 * Side * Side];
        for (var c = 0; c < 3; c++)
        {
            Array.Fill(tensor, c switch { 0 => r, 1 => g, _ => b }, c * Side * Side, Side * Side);
        }

        return tensor;
    }

    [Theory]
    [InlineData(1f, -1f, -1f, "a red square")]
    [InlineData(-1f, 1f, -1f, "a green square")]
    [InlineData(-1f, -0.2f, 0.9f, "a blue square")]
    public async Task Greedy_decoding_writes_the_caption_the_weights_encode(float r, float g, float b, string expected)
    {
        using var captioner = OnnxImageCaptioner.Load(TinyCaptionerFactory.Write(Path.Combine(_root, "model")));

        Assert.Equal(expected, captioner.Caption(Solid(r, g, b), Side, Side));
        Assert.Equal(expected, await captioner.CaptionAsync(Solid(r, g, b), Side, Side));
    }

    [Fact]
    public void Captions_stop_at_the_length_limit_when_the_model_never_ends()
    {
        var folder = TinyCaptionerFactory.Write(Path.Combine(_root, "endless"), maxLength: 5, neverEnd: true);
        using var fromConfig = OnnxImageCaptioner.Load(folder);
        // max_length 5 counts the start token: four generated tokens.
        Assert.Equal("a red square square", fromConfig.Caption(Solid(1, -1, -1), Side, Side));

        using var fromOptions = OnnxImageCaptioner.Load(folder, new OnnxImageCaptionerOptions { MaxTokens = 3 });
        Assert.Equal("a red square", fromOptions.Caption(Solid(1, -1, -1), Side, Side));
    }

    [Fact]
    public void Bad_folders_and_inputs_get_clear_errors()
    {
        var missing = Assert.Throws<ModelFolderException>(() => OnnxImageCaptioner.Load(Path.Combine(_root, "nowhere")));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);

        var folder = TinyCaptionerFactory.Write(Path.Combine(_root, "broken"));
        File.Delete(Path.Combine(folder, "decoder_model.onnx"));
        Assert.Contains("decoder_model.onnx", Assert.Throws<ModelFolderException>(() => OnnxImageCaptioner.Load(folder)).Message, StringComparison.Ordinal);

        var noIds = TinyCaptionerFactory.Write(Path.Combine(_root, "no-ids"));
        File.WriteAllText(Path.Combine(noIds, "config.json"), "{\"model_type\": \"vision-encoder-decoder\"}");
        File.Delete(Path.Combine(noIds, "generation_config.json"));
        Assert.Contains("decoder_start_token_id", Assert.Throws<ModelFolderException>(() => OnnxImageCaptioner.Load(noIds)).Message, StringComparison.Ordinal);

        var notOnnx = TinyCaptionerFactory.Write(Path.Combine(_root, "not-onnx"));
        File.WriteAllText(Path.Combine(notOnnx, "encoder_model.onnx"), "not a model");
        Assert.Contains("encoder_model.onnx", Assert.Throws<ModelFolderException>(() => OnnxImageCaptioner.Load(notOnnx)).Message, StringComparison.Ordinal);

        using var captioner = OnnxImageCaptioner.Load(TinyCaptionerFactory.Write(Path.Combine(_root, "ok")));
        var shape = Assert.Throws<ArgumentException>(() => captioner.Caption(new float[10], Side, Side));
        Assert.Contains("3×8×8", shape.Message, StringComparison.Ordinal);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => captioner.Caption(Solid(1, -1, -1), Side, Side, cancelled.Token));
        captioner.Dispose();
        Assert.Throws<ObjectDisposedException>(() => captioner.Caption(Solid(1, -1, -1), Side, Side));
    }
}
