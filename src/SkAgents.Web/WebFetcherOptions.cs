namespace SkAgents.Web;

/// <summary>Options of <see cref="WebFetcher"/>.</summary>
public sealed class WebFetcherOptions
{
    /// <summary>The most redirects (301, 302, 303, 307, 308) followed; each hop is re-validated. Default 5.</summary>
    public int MaxRedirects { get; set; } = 5;

    /// <summary>The largest response body, in bytes, after decompression. Default 5 MiB.</summary>
    public long MaxResponseBytes { get; set; } = 5 * 1024 * 1024;

    /// <summary>The time limit of a whole fetch, redirects and body included. Default 30 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The time limit of establishing one TCP connection. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The <c>User-Agent</c> header. Default <c>SkAgents/1.0</c>.</summary>
    public string UserAgent { get; set; } = "SkAgents/1.0";

    /// <summary>
    /// CIDR blocks or single addresses (<c>127.0.0.0/8</c>, <c>::1/128</c>, <c>10.1.2.3</c>) exempt from the address
    /// guard (<see cref="NetworkAddressPolicy"/>). Empty (the default): the public internet only.
    /// </summary>
    public IList<string> AllowedNetworks { get; } = [];

    /// <summary>
    /// The media types accepted; any other is refused with <see cref="UnsupportedContentTypeException"/> before the body is
    /// read. <c>application/json</c> here also admits the <c>+json</c> suffix types (<c>application/ld+json</c>, ...).
    /// </summary>
    public IList<string> AllowedMediaTypes { get; } = ["text/html", "application/xhtml+xml", "text/plain", "text/markdown", "application/json"];

    /// <summary>The DNS resolver; null uses the system resolver (<see cref="System.Net.Dns.GetHostAddressesAsync(string, CancellationToken)"/>).</summary>
    public IHostResolver? Resolver { get; set; }

    /// <summary>The clock that runs <see cref="Timeout"/>; <see cref="TimeProvider.System"/> by default (tests pass their own).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Whether HTML pages keep links as <c>[text](absolute url)</c> in <see cref="WebFetcher.FetchPageAsync"/>. Default true.</summary>
    public bool KeepLinks { get; set; } = true;
}
