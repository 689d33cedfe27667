using System.Text;

namespace SkAgents.Memory.Extraction;

/// <summary>
/// CSV/TSV (<c>.csv</c>, <c>.tsv</c>, <c>text/csv</c>) to one Markdown pipe table, the first record being the header.
/// Parsing follows RFC 4180: fields may be quoted with <c>"</c>, <c>""</c> is an escaped quote, quoted fields may hold
/// delimiters and line breaks (rendered as spaces, so each record stays on one line). The delimiter is a tab for
/// <c>.tsv</c>; otherwise <c>,</c> unless the first line has more <c>;</c> (common in European exports).
/// Short records are padded. An unterminated quote or text after a closing quote raises <see cref="MalformedDocumentException"/>.
/// </summary>
public sealed class CsvExtractor : TextExtractorBase
{
    /// <summary>Creates the extractor.</summary>
    /// <param name="options">Options; defaults when null.</param>
    public CsvExtractor(TextExtractionOptions? options = null)
        : base(options, "text/csv", ".csv", ".tsv", "text/csv", "text/tab-separated-values", "application/csv")
    {
    }

    /// <inheritdoc />
    protected override (string? Title, string Markdown) Extract(byte[] content, string fileName)
    {
        var text = ExtractionInput.Decode(content);
        var delimiter = fileName.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : DetectDelimiter(text);
        var rows = Parse(text, delimiter, fileName);
        return (null, rows.Count == 0 ? "" : MarkdownText.PipeTable(rows));
    }

    private static char DetectDelimiter(string text)
    {
        var end = text.IndexOf('\n', StringComparison.Ordinal);
        var first = end < 0 ? text : text[..end];
        int commas = 0, semicolons = 0, tabs = 0;
        var quoted = false;
        foreach (var c in first)
        {
            if (c == '"') { quoted = !quoted; }
            else if (!quoted && c == ',') { commas++; }
            else if (!quoted && c == ';') { semicolons++; }
            else if (!quoted && c == '\t') { tabs++; }
        }

        return tabs > commas && tabs > semicolons ? '\t' : semicolons > commas ? ';' : ',';
    }

    /// <summary>RFC 4180 parser. Returns the records; blank lines are skipped.</summary>
    internal static List<IReadOnlyList<string>> Parse(string text, char delimiter, string fileName)
    {
        var rows = new List<IReadOnlyList<string>>();
        var row = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var i = 0;
        var fieldStarted = false;

        void EndField()
        {
            row.Add(field.ToString());
            field.Clear();
            fieldStarted = false;
        }

        void EndRow()
        {
            if (row.Count > 1 || (row.Count == 1 && row[0].Length > 0))
            {
                rows.Add(row);
            }

            row = new List<string>();
        }

        while (i < text.Length)
        {
            var c = text[i];
            if (c == '"' && !fieldStarted && field.Length == 0)
            {
                var startLine = line;
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new MalformedDocumentException(fileName, "CSV", $"unterminated quoted field starting at line {startLine}.");
                    }

                    var q = text[i];
                    if (q == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    if (q == '\r' || q == '\n')
                    {
                        if (q == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                        {
                            i++;
                        }

                        line++;
                        field.Append('\n');
                        i++;
                        continue;
                    }

                    field.Append(q);
                    i++;
                }

                fieldStarted = true;
                // after the closing quote: delimiter, line break or end (spaces tolerated)
                while (i < text.Length && text[i] == ' ')
                {
                    i++;
                }

                if (i < text.Length && text[i] != delimiter && text[i] != '\r' && text[i] != '\n')
                {
                    throw new MalformedDocumentException(fileName, "CSV", $"unexpected character '{text[i]}' after the closing quote at line {line}.");
                }

                continue;
            }

            if (c == delimiter)
            {
                EndField();
                i++;
                continue;
            }

            if (c == '\r' || c == '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                EndField();
                EndRow();
                line++;
                i++;
                continue;
            }

            field.Append(c);
            fieldStarted = true;
            i++;
        }

        if (fieldStarted || field.Length > 0 || row.Count > 0)
        {
            EndField();
            EndRow();
        }

        return rows;
    }
}
