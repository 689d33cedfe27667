namespace SkAgents.Imaging;

/// <summary>
/// Resampling filters, numbered as Pillow's <c>Image.Resampling</c> (the <c>resample</c> value of a Hugging Face
/// <c>preprocessor_config.json</c>).
/// </summary>
public enum ResampleFilter
{
    /// <summary>Nearest neighbour (PIL <c>NEAREST</c>, 0): the source pixel under each output pixel's centre.</summary>
    Nearest = 0,

    /// <summary>Lanczos, 3 lobes (PIL <c>LANCZOS</c>, 1).</summary>
    Lanczos = 1,

    /// <summary>Bilinear, a triangle filter widened when downscaling (PIL <c>BILINEAR</c>, 2).</summary>
    Bilinear = 2,

    /// <summary>Bicubic, Keys' cubic with a = -0.5, widened when downscaling (PIL <c>BICUBIC</c>, 3).</summary>
    Bicubic = 3,

    /// <summary>Box: each output pixel averages the source pixels it covers (PIL <c>BOX</c>, 4).</summary>
    Box = 4,

    /// <summary>Hamming-windowed sinc, 1 lobe (PIL <c>HAMMING</c>, 5).</summary>
    Hamming = 5,
}
