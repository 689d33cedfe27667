using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SkAgents.Web;

/// <summary>
/// Fetches web pages safely: http/https only, every address checked by <see cref="NetworkAddressPolicy"/> (IP literals
/// before any connection; host names after DNS, inside the connection callback, so the address checked is the address
/// connected to), redirects followed by hand and re-validated on every hop, a size cap enforced while streaming, an
/// allow-list of media types and one time limit for the whole fetch.
/// </summary>
/// <remarks>HTTP/1.1 without proxies and without cookies. One instance is safe to share across threads and reuses connections.</remarks>
public sealed class WebFetcher : IDisposable
{
    private static readonly HashSet<string> MetadataHostNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal",
    };

    private readonly WebFetcherOptions _options;
    private readonly string[] _allowedMediaTypes;
    private readonly NetworkAddressPolicy _policy;
    private readonly IHostResolver _resolver;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly string _accept;

    /// <summary>Creates the fetcher.</summary>
    /// <param name="options">Options; defaults when null. The lists are copied: later changes have no effect.</param>
    /// <param name="logger">Logs each hop at Debug and refusals at Warning; none when null.</param>
    /// <exception cref="ArgumentException">An option is out of range or an <see cref="WebFetcherOptions.AllowedNetworks"/> entry is invalid.</exception>
    public WebFetcher(WebFetcherOptions? options = null, ILogger<WebFetcher>? logger = null)
    {
        _options = options ?? new WebFetcherOptions();
        if (_options.MaxRedirects < 0)
        {
            throw new ArgumentException($"WebFetcherOptions.MaxRedirects is {_options.MaxRedirects}; it must be 0 or more.", nameof(options));
        }

        if (_options.MaxResponseBytes <= 0)
        {
            throw new ArgumentException($"WebFetcherOptions.MaxResponseBytes is {_options.MaxResponseBytes}; it must be positive.", nameof(options));
        }

        if (_options.Timeout <= TimeSpan.Zero || _options.ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("WebFetcherOptions.Timeout and ConnectTimeout must be positive.", nameof(options));
        }

        _allowedMediaTypes = [.. _options.AllowedMediaTypes.Select(m => m.Trim().ToLowerInvariant())];
        _policy = new NetworkAddressPolicy(_options.AllowedNetworks.ToArray());
        _resolver = _options.Resolver ?? SystemHostResolver.Instance;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _accept = string.Join(", ", _allowedMediaTypes.Append("*/*;q=0.1"));

        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            ConnectTimeout = _options.ConnectTimeout,
            AutomaticDecompression = DecompressionMethods.All,
            ConnectCallback = ConnectAsync,
        };
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// Test seam: opens the TCP connection to an address the guard has already allowed (default: a socket connect).
    /// Tests use it to observe that no connection is attempted and to make sure none can leave the loopback interface.
    /// </summary>
    internal Func<IPEndPoint, CancellationToken, ValueTask<Stream>>? Connector { get; set; }

    /// <summary>The address guard in effect.</summary>
    public NetworkAddressPolicy Policy => _policy;

    /// <summary>Fetches <paramref name="url"/> (following redirects) and returns the body bytes and decoded text.</summary>
    /// <param name="url">An absolute http or https URL.</param>
    /// <param name="cancellationToken">Cancels the fetch (raises <see cref="OperationCanceledException"/>).</param>
    /// <returns>The resource.</returns>
    /// <exception cref="BlockedAddressException">The host is, resolves to, or redirects to a non-public address.</exception>
    /// <exception cref="UnsupportedUrlSchemeException">The URL or a redirect target is not absolute http/https.</exception>
    /// <exception cref="UnsupportedContentTypeException">The media type is not allowed.</exception>
    /// <exception cref="ResponseTooLargeException">The body is over <see cref="WebFetcherOptions.MaxResponseBytes"/>.</exception>
    /// <exception cref="TooManyRedirectsException">More than <see cref="WebFetcherOptions.MaxRedirects"/> redirects.</exception>
    /// <exception cref="WebFetchHttpException">The server answered 4xx or 5xx.</exception>
    /// <exception cref="WebFetchTimeoutException">The fetch took longer than <see cref="WebFetcherOptions.Timeout"/>.</exception>
    /// <exception cref="WebFetchConnectionException">The host could not be resolved or connected to.</exception>
    public async Task<WebResource> FetchAsync(Uri url, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        cancellationToken.ThrowIfCancellationRequested();
        using var timeout = new CancellationTokenSource(_options.Timeout, _options.TimeProvider ?? TimeProvider.System);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var current = url;
        var redirects = 0;
        try
        {
            while (true)
            {
                CheckBeforeConnecting(current);
                using var request = new HttpRequestMessage(HttpMethod.Get, current)
                {
                    Version = HttpVersion.Version11,
                    VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
                };
                request.Headers.TryAddWithoutValidation("User-Agent", _options.UserAgent);
                request.Headers.TryAddWithoutValidation("Accept", _accept);

                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                _logger.LogDebug("GET {Url} -> {StatusCode} (hop {Hop})", WebFetchException.Show(current), status, redirects);

                if (status is 301 or 302 or 303 or 307 or 308)
                {
                    var location = response.Headers.Location
                        ?? throw new WebFetchHttpException(current, status, "redirect without a Location header");
                    var next = location.IsAbsoluteUri ? location : new Uri(current, location);
                    if (++redirects > _options.MaxRedirects)
                    {
                        throw new TooManyRedirectsException(current, url, _options.MaxRedirects);
                    }

                    _logger.LogDebug("Redirect {Count} from {Url} to {Location}", redirects, WebFetchException.Show(current), WebFetchException.Show(next));
                    current = next;
                    continue;
                }

                if (status is < 200 or > 299)
                {
                    throw new WebFetchHttpException(current, status, response.ReasonPhrase);
                }

                return await ReadBodyAsync(url, current, response, redirects, linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new WebFetchTimeoutException(current, _options.Timeout);
        }
        catch (OperationCanceledException ex) when (ex.InnerException is TimeoutException || FindInner<TimeoutException>(ex) is not null)
        {
            throw new WebFetchTimeoutException(current, _options.ConnectTimeout, "WebFetcherOptions.ConnectTimeout");
        }
        catch (HttpRequestException ex)
        {
            if (FindInner<WebFetchException>(ex) is { } inner)
            {
                ExceptionDispatchInfo.Throw(inner);
            }

            throw new WebFetchConnectionException(current, ex.Message, ex);
        }
        catch (IOException ex)
        {
            throw new WebFetchConnectionException(current, "the connection failed while reading the response: " + ex.Message, ex);
        }
    }

    /// <summary>
    /// Fetches <paramref name="url"/> and returns it readable: HTML as the main content in Markdown (see
    /// <see cref="HtmlContentExtractor"/>), plain text and Markdown as they are, JSON pretty-printed.
    /// </summary>
    /// <param name="url">An absolute http or https URL.</param>
    /// <param name="cancellationToken">Cancels the fetch.</param>
    /// <returns>The page.</returns>
    /// <exception cref="WebFetchException">As <see cref="FetchAsync"/>.</exception>
    public async Task<WebPage> FetchPageAsync(Uri url, CancellationToken cancellationToken = default)
    {
        var resource = await FetchAsync(url, cancellationToken).ConfigureAwait(false);
        return WebPageReader.Read(resource, _options.KeepLinks);
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private void CheckBeforeConnecting(Uri url)
    {
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(url.Host))
        {
            throw new UnsupportedUrlSchemeException(url);
        }

        var host = url.IdnHost;
        if (HostNames.TryParseAddress(host, out var literal))
        {
            Check(url, host, literal);
        }
        else if (MetadataHostNames.Contains(HostNames.Normalize(host)))
        {
            Refuse(url, host, null, "a cloud metadata host name");
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var url = context.InitialRequestMessage.RequestUri!;
        var host = context.DnsEndPoint.Host;
        var port = context.DnsEndPoint.Port;
        IReadOnlyList<IPAddress> addresses;
        if (HostNames.TryParseAddress(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            if (MetadataHostNames.Contains(HostNames.Normalize(host)))
            {
                Refuse(url, host, null, "a cloud metadata host name");
            }

            try
            {
                addresses = await _resolver.ResolveAsync(host, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                throw new WebFetchConnectionException(url, $"the host name '{host}' could not be resolved ({ex.SocketErrorCode}).", ex);
            }

            if (addresses.Count == 0)
            {
                throw new WebFetchConnectionException(url, $"the host name '{host}' did not resolve to any address.");
            }
        }

        // Every address must pass: a name that also points inside the network is refused as a whole.
        foreach (var address in addresses)
        {
            Check(url, host, address);
        }

        Exception? last = null;
        foreach (var address in addresses)
        {
            if (Connector is { } connector)
            {
                return await connector(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);
            }

            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);
                _logger.LogDebug("Connected to {Host} at {Address}:{Port}", host, address, port);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw new WebFetchConnectionException(url, $"could not connect to {host}:{port} ({string.Join(", ", addresses)}): {last?.Message}", last);
    }

    private void Check(Uri url, string host, IPAddress address)
    {
        var decision = _policy.Evaluate(address);
        if (!decision.Allowed)
        {
            Refuse(url, host, address, decision.Reason);
        }
    }

    private void Refuse(Uri url, string host, IPAddress? address, string reason)
    {
        _logger.LogWarning("Refused {Url}: host {Host} ({Address}) is {Reason}", WebFetchException.Show(url), host, address?.ToString() ?? "not resolved", reason);
        throw new BlockedAddressException(url, host, address, reason);
    }

    private async Task<WebResource> ReadBodyAsync(Uri requested, Uri current, HttpResponseMessage response, int redirects, CancellationToken cancellationToken)
    {
        var contentType = response.Content.Headers.ContentType;
        var mediaType = contentType?.MediaType?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(mediaType) || !IsAllowed(mediaType))
        {
            throw new UnsupportedContentTypeException(current, string.IsNullOrEmpty(mediaType) ? "(none)" : mediaType, _allowedMediaTypes);
        }

        var max = _options.MaxResponseBytes;
        if (response.Content.Headers.ContentLength is long declared && declared > max)
        {
            throw new ResponseTooLargeException(current, max, declared);
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var body = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (body.Length + read > max)
                {
                    throw new ResponseTooLargeException(current, max, null);
                }

                body.Write(chunk, 0, read);
            }

            var bytes = body.ToArray();
            var isHtml = mediaType is "text/html" or "application/xhtml+xml";
            var decoded = WebTextDecoder.Decode(bytes, contentType?.CharSet, sniffHtmlMeta: isHtml);
            _logger.LogDebug("Read {Bytes} bytes of {MediaType} ({Charset}) from {Url}", bytes.Length, mediaType, decoded.Charset, WebFetchException.Show(current));
            return new WebResource(requested, current, (int)response.StatusCode, mediaType, decoded.Charset, bytes, decoded.Text, redirects);
        }
    }

    private bool IsAllowed(string mediaType) =>
        _allowedMediaTypes.Contains(mediaType)
        || (mediaType.EndsWith("+json", StringComparison.Ordinal) && _allowedMediaTypes.Contains("application/json"));

    private static T? FindInner<T>(Exception ex)
        where T : Exception
    {
        for (var e = ex.InnerException; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }
}
