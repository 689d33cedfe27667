namespace SkAgents.Web;

/// <summary>A fetched resource: the raw bytes and the decoded text.</summary>
/// <param name="RequestedUrl">The URL asked for.</param>
/// <param name="FinalUrl">The URL after redirects.</param>
/// <param name="StatusCode">The final HTTP status code (2xx).</param>
/// <param name="MediaType">The media type, lower case, without parameters (for example <c>text/html</c>).</param>
/// <param name="Charset">The encoding that decoded <paramref name="Text"/> (for example <c>utf-8</c>, <c>windows-1252</c>).</param>
/// <param name="Content">The body bytes (decompressed).</param>
/// <param name="Text">The body decoded as text (see <see cref="WebTextDecoder"/>).</param>
/// <param name="Redirects">How many redirects were followed.</param>
public sealed record WebResource(Uri RequestedUrl, Uri FinalUrl, int StatusCode, string MediaType, string? Charset, ReadOnlyMemory<byte> Content, string Text, int Redirects);

/// <summary>A fetched page, readable as Markdown.</summary>
/// <param name="RequestedUrl">The URL asked for.</param>
/// <param name="FinalUrl">The URL after redirects.</param>
/// <param name="Title">The title (HTML: first <c>h1</c> of the main content, <c>og:title</c> or <c>&lt;title&gt;</c>;
/// Markdown: the first <c>#</c> heading; otherwise null).</param>
/// <param name="Text">HTML: the main content as Markdown; plain text and Markdown: the text as is; JSON: pretty-printed JSON.</param>
/// <param name="MediaType">The media type of the response.</param>
public sealed record WebPage(Uri RequestedUrl, Uri FinalUrl, string? Title, string Text, string MediaType);
