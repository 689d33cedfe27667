using SkAgents.Imaging;
using SkAgents.LocalModels.GenAI;
using SkAgents.ModelFactory.Models;
using SkAgents.Plugins.Captioning;
using SkAgents.Testing;

namespace SkAgents.Plugins.Captioning.Tests;

public sealed class LocalCaptionerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "skagents-local-caption-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Theory]
    [InlineData(200, 30, 40, "a red square")]
    [InlineData(20, 180, 60, "a green square")]
    [InlineData(10, 40, 250, "a blue square")]
    public async Task A_png_is_decoded_resized_normalized_and_captioned_by_the_local_model(byte r, byte g, byte b, string expected)
    {
        using var captioner = LocalImageCaptioner.Load(TinyCaptionerFactory.Write(Path.Combine(_root, "model")));

        // 37×23: the preprocessor resizes it to the model's 8×8 first.
        var caption = await captioner.CaptionAsync(new ImageData(TestImages.SolidPng(37, 23, r, g, b), ImageFormats.Png, "solid.png"));

        Assert.Equal(expected, caption);
    }

    [Fact]
    public async Task Missing_preprocessor_config_and_broken_images_get_clear_errors()
    {
        var folder = TinyCaptionerFactory.Write(Path.Combine(_root, "no-preprocessor"));
        File.Delete(Path.Combine(folder, "preprocessor_config.json"));
        Assert.Contains("preprocessor_config.json", Assert.Throws<ModelFolderException>(() => LocalImageCaptioner.Load(folder)).Message, StringComparison.Ordinal);

        using var captioner = LocalImageCaptioner.Load(TinyCaptionerFactory.Write(Path.Combine(_root, "model")));
        var png = TestImages.SolidPng(8, 8, 255, 0, 0);
        await Assert.ThrowsAnyAsync<ImageDecodingException>(() => captioner.CaptionAsync(new ImageData(png.AsMemory(0, 40), ImageFormats.Png, "cut.png")));
    }
}
