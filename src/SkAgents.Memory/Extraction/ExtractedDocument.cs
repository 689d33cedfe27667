namespace SkAgents.Memory.Extraction;

/// <summary>
/// The result of text extraction: normalized Markdown (headings as <c>#</c>, lists as <c>- </c> or <c>1. </c>,
/// pipe tables with one row per line, code as fenced blocks) plus a title.
/// </summary>
/// <param name="Title">The document title when known (front matter, <c>&lt;title&gt;</c>, first heading); otherwise the file name without extension.</param>
/// <param name="Markdown">The extracted content as normalized Markdown, with <c>\n</c> line endings.</param>
/// <param name="MediaType">The media type of the source document (for example <c>text/html</c>).</param>
public sealed record ExtractedDocument(string Title, string Markdown, string MediaType);
