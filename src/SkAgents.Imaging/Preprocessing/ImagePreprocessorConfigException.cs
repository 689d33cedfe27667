namespace SkAgents.Imaging;

/// <summary>A <c>preprocessor_config.json</c> is malformed; the message names the file (when known) and the key.</summary>
public sealed class ImagePreprocessorConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and how to fix it.</param>
    /// <param name="key">The offending key (dotted for nested keys, e.g. <c>size.height</c>), or <see langword="null"/> when the whole document is wrong.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ImagePreprocessorConfigException(string message, string? key = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Key = key;
    }

    /// <summary>Gets the offending key, dotted for nested keys (<c>size.height</c>); <see langword="null"/> when the document itself is malformed.</summary>
    public string? Key { get; }
}
