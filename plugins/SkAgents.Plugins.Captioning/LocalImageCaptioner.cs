using SkAgents.Imaging;
using SkAgents.LocalModels.Captioning;
using SkAgents.LocalModels.GenAI;

namespace SkAgents.Plugins.Captioning;

/// <summary>
/// Captions images in process: decodes PNG/JPEG (managed decoders), resizes and normalizes as the model folder's
/// <c>preprocessor_config.json</c> says, and runs the folder's ONNX vision-encoder-decoder (<see cref="OnnxImageCaptioner"/>).
/// </summary>
public sealed class LocalImageCaptioner : IImageCaptioner, IDisposable
{
    private readonly OnnxImageCaptioner _model;
    private readonly ImagePreprocessor _preprocessor;
    private readonly ImageDecoderOptions _decoding;

    /// <summary>Creates the captioner over a loaded model and its preprocessor.</summary>
    /// <param name="model">The ONNX captioner (disposed with this object).</param>
    /// <param name="preprocessor">The image preprocessing the model expects.</param>
    /// <param name="decoding">Decoding limits; defaults when null.</param>
    public LocalImageCaptioner(OnnxImageCaptioner model, ImagePreprocessor preprocessor, ImageDecoderOptions? decoding = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(preprocessor);
        _model = model;
        _preprocessor = preprocessor;
        _decoding = decoding ?? ImageDecoderOptions.Default;
    }

    /// <summary>Loads a captioning model folder (Optimum vision-encoder-decoder export with <c>preprocessor_config.json</c>).</summary>
    /// <param name="folder">The folder.</param>
    /// <param name="options">Model options; defaults when null.</param>
    /// <returns>The captioner.</returns>
    /// <exception cref="ModelFolderException">A file is missing or malformed.</exception>
    public static LocalImageCaptioner Load(string folder, OnnxImageCaptionerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var config = Path.Combine(Path.GetFullPath(folder), "preprocessor_config.json");
        if (!File.Exists(config))
        {
            throw new ModelFolderException($"The captioning model folder '{Path.GetFullPath(folder)}' has no 'preprocessor_config.json' (it says how images are resized and normalized).");
        }

        ImagePreprocessor preprocessor;
        try
        {
            preprocessor = ImagePreprocessor.FromFile(config);
        }
        catch (ImagePreprocessorConfigException ex)
        {
            throw new ModelFolderException($"'{config}' is not usable: {ex.Message}");
        }

        return new LocalImageCaptioner(OnnxImageCaptioner.Load(folder, options), preprocessor);
    }

    /// <inheritdoc />
    public async Task<string> CaptionAsync(ImageData image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var decoded = ImageDecoder.Decode(image.Bytes.Span, _decoding);
        var shape = _preprocessor.GetOutputShape(decoded);
        var pixels = _preprocessor.Process(decoded);
        return await _model.CaptionAsync(pixels, shape[1], shape[2], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases the model.</summary>
    public void Dispose() => _model.Dispose();
}
