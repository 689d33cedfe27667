using System.Net;

namespace SkAgents.Web;

/// <summary>Base class of the errors raised by <see cref="WebFetcher"/>; <see cref="Url"/> names the URL that failed.</summary>
public class WebFetchException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="url">The URL being fetched when the error happened.</param>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause, if any.</param>
    public WebFetchException(Uri url, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(url);
        Url = url;
    }

    /// <summary>The URL being fetched when the error happened (the redirect target, for errors after a redirect).</summary>
    public Uri Url { get; }

    /// <summary>The URL as shown in messages: without user info (credentials).</summary>
    internal static string Show(Uri url) =>
        url.IsAbsoluteUri && url.UserInfo.Length > 0
            ? new UriBuilder(url) { UserName = "", Password = "" }.Uri.AbsoluteUri
            : url.IsAbsoluteUri ? url.AbsoluteUri : url.OriginalString;
}

/// <summary>Raised when the address guard refuses a host: it is, or resolves to, a non-public address (or a cloud metadata name).</summary>
public class BlockedAddressException : WebFetchException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="url">The URL refused.</param>
    /// <param name="host">The host of the URL.</param>
    /// <param name="address">The address refused; null when the host name itself is refused.</param>
    /// <param name="reason">Why (for example <c>private (10.0.0.0/8)</c>).</param>
    public BlockedAddressException(Uri url, string host, IPAddress? address, string reason)
        : base(url, $"Refused to fetch {Show(url)}: host '{host}'{(address is null ? "" : $" is {address}, which is")} {reason}. "
            + "Only public internet addresses are allowed; add a CIDR block to WebFetcherOptions.AllowedNetworks to allow an internal network.")
    {
        Host = host;
        Address = address;
        Reason = reason;
    }

    /// <summary>The host of the URL.</summary>
    public string Host { get; }

    /// <summary>The address refused; null when the host name itself is refused (for example <c>metadata.google.internal</c>).</summary>
    public IPAddress? Address { get; }

    /// <summary>Why the address is refused.</summary>
    public string Reason { get; }
}

/// <summary>Raised when a URL (or a redirect target) is not <c>http</c> or <c>https</c>, or is not absolute.</summary>
public class UnsupportedUrlSchemeException : WebFetchException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="url">The URL refused.</param>
    public UnsupportedUrlSchemeException(Uri url)
        : base(url, $"Refused to fetch '{Show(url)}': only absolute http:// and https:// URLs are supported.")
    {
    }
}

/// <summary>Raised when the response media type is not one of <see cref="WebFetcherOptions.AllowedMediaTypes"/>.</summary>
public class UnsupportedContentTypeException : WebFetchException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="url">The URL.</param>
    /// <param name="mediaType">The media type the server sent (<c>(none)</c> when it sent none).</param>
    /// <param name="allowedMediaTypes">The media types accepted.</param>
    public UnsupportedContentTypeException(Uri url, string mediaType, IEnumerable<string> allowedMediaTypes)
        : base(url, $"{Show(url)} returned content type '{mediaType}', which is not supported. Supported: {string.Join(", ", allowedMediaTypes ?? [])}.")
    {
        MediaType = mediaType;
    }

    /// <summary>The media type the server sent.</summary>
    public string MediaType { get; }
}

/// <summary>Raised when the response body exceeds <see cref="WebFetcherOptions.MaxResponseBytes"/>.</summary>
public class ResponseTooLargeException : WebFetchException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="url">The URL.</param>
    /// <param name="limitBytes">The limit.</param>
    /// <param name="declaredBytes">The <c>Content-Length</c> when the server declared one over the limit.</param>
    public ResponseTooLargeException(Uri url, long limitBytes, long? declaredBytes)
        : base(url, $"The response of {Show(url)} is larger than the limit of {limitBytes} bytes"
            + (declaredBytes is null ? "" : $" (Content-Length {declaredBytes})") + "; raise WebFetcherOptions.MaxResponseBytes to accept it.")
    {
        LimitBytes = limitBytes;
        DeclaredBytes = declaredBytes;
    }

    /// <summary>The limit in bytes.</summary>
    public long LimitBytes { get; }

    /// <summary>The declared <c>Content-Length</c>, when the server sent one.</summary>
    public long? DeclaredBytes { get; }
}

/// <summary>Raised when a fetch needs more than <see cref="WebFetcherOptions.MaxRedirects"/> redirects.</summary>
public class TooManyRedirectsException : WebFetchException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="url">The URL that redirected once too often.</param>
    /// <param name="requestedUrl">The URL originally requested.</param>
    /// <param name="maxRedirects">The limit.</param>
    public TooManyRedirectsException(Uri url, Uri requestedUrl, int maxRedirects)
        : base(url, $"Fetching {Show(requestedUrl)} needed more than {maxRedirects} redirects (the last from {Show(url)}); raise WebFetcherOptions.MaxRedirects if this is expected.")
    {
        MaxRedirects = maxRedirects;
    }

    /// <summary>The limit that was exceeded.</summary>
    public int MaxRedirects { get; }
}

/// <summary>Raised when the server answers with an error status (4xx, 5xx) or an unusable one (a redirect without <c>Location</c>).</summary>
public class WebFetchHttpException : WebFetchException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="url">The URL.</param>
    /// <param name="statusCode">The HTTP status code.</param>
    /// <param name="reasonPhrase">The reason phrase, or a description of the problem.</param>
    public WebFetchHttpException(Uri url, int statusCode, string? reasonPhrase)
        : base(url, $"{Show(url)} returned HTTP {statusCode}{(string.IsNullOrWhiteSpace(reasonPhrase) ? "" : $" ({reasonPhrase})")}.")
    {
        StatusCode = statusCode;
    }

    /// <summary>The HTTP status code.</summary>
    public int StatusCode { get; }
}

/// <summary>Raised when a fetch takes longer than <see cref="WebFetcherOptions.Timeout"/> (or a connection longer than <see cref="WebFetcherOptions.ConnectTimeout"/>).</summary>
public class WebFetchTimeoutException : WebFetchException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="url">The URL being fetched when time ran out.</param>
    /// <param name="timeout">The limit that was exceeded.</param>
    /// <param name="setting">The option that sets it.</param>
    public WebFetchTimeoutException(Uri url, TimeSpan timeout, string setting = "WebFetcherOptions.Timeout")
        : base(url, $"Fetching {Show(url)} timed out after {timeout.TotalSeconds:0.###} s ({setting}).")
    {
        Timeout = timeout;
    }

    /// <summary>The limit that was exceeded.</summary>
    public TimeSpan Timeout { get; }
}

/// <summary>Raised when the host cannot be resolved or connected to, or the connection fails.</summary>
public class WebFetchConnectionException : WebFetchException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="url">The URL.</param>
    /// <param name="problem">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public WebFetchConnectionException(Uri url, string problem, Exception? innerException = null)
        : base(url, $"Could not fetch {Show(url)}: {problem}", innerException)
    {
    }
}
