using SkAgents.Imaging;
using SkAgents.Web;

namespace SkAgents.Plugins.Captioning;

/// <summary>
/// Reads an image from a file or an http(s) URL (through an SSRF-guarded <see cref="WebFetcher"/> that allows image
/// types) and recognizes PNG or JPEG from its bytes.
/// </summary>
public sealed class ImageLoader
{
    private readonly WebFetcher? _fetcher;
    private readonly long _maxBytes;

    /// <summary>Creates the loader.</summary>
    /// <param name="fetcher">Fetches URLs; URLs are refused when null. Its options must allow <c>image/png</c> and <c>image/jpeg</c>.</param>
    /// <param name="maxBytes">The largest file read. Default 20 MiB.</param>
    public ImageLoader(WebFetcher? fetcher = null, long maxBytes = 20 * 1024 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _fetcher = fetcher;
        _maxBytes = maxBytes;
    }

    /// <summary>Creates fetcher options for images (PNG and JPEG), keeping the guard and the allowed networks.</summary>
    /// <param name="allowedNetworks">Networks exempt from the address guard (CIDR).</param>
    /// <param name="maxBytes">The largest image fetched.</param>
    /// <returns>The options.</returns>
    public static WebFetcherOptions ImageFetcherOptions(IEnumerable<string>? allowedNetworks = null, long maxBytes = 20 * 1024 * 1024)
    {
        var options = new WebFetcherOptions { MaxResponseBytes = maxBytes };
        options.AllowedMediaTypes.Clear();
        options.AllowedMediaTypes.Add(ImageFormats.Png);
        options.AllowedMediaTypes.Add(ImageFormats.Jpeg);
        foreach (var network in allowedNetworks ?? [])
        {
            options.AllowedNetworks.Add(network);
        }

        return options;
    }

    /// <summary>Loads an image.</summary>
    /// <param name="source">A file path or an http(s) URL.</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    /// <returns>The image's bytes and media type.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="UnsupportedImageFormatException">The bytes are not PNG or JPEG (the message says what they look like).</exception>
    /// <exception cref="ImageDecodingException">The file is larger than the limit.</exception>
    /// <exception cref="WebFetchException">The URL could not be fetched (blocked address, HTTP error, type, size, timeout).</exception>
    public async Task<ImageData> LoadAsync(string source, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        byte[] bytes;
        if (Uri.TryCreate(source, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
        {
            var fetcher = _fetcher ?? throw new InvalidOperationException($"'{source}' is a URL, but no web fetcher is configured for images.");
            var resource = await fetcher.FetchAsync(url, cancellationToken).ConfigureAwait(false);
            bytes = resource.Content.ToArray();
        }
        else
        {
            var path = Path.GetFullPath(source);
            var file = new FileInfo(path);
            if (!file.Exists)
            {
                throw new FileNotFoundException($"The image '{source}' does not exist.", path);
            }

            if (file.Length > _maxBytes)
            {
                throw new ImageDecodingException($"The image '{source}' is {file.Length:N0} bytes, over the limit of {_maxBytes:N0}.");
            }

            bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }

        var mediaType = ImageFormats.Sniff(bytes)
            ?? throw new UnsupportedImageFormatException($"'{source}' is not a PNG or JPEG image: it looks like {ImageFormats.Describe(bytes)}.");
        return new ImageData(bytes, mediaType, source);
    }
}
