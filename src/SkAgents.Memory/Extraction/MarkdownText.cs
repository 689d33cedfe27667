using System.Text;
using System.Text.RegularExpressions;

namespace SkAgents.Memory.Extraction;

/// <summary>Helpers that produce the normalized Markdown of the extraction contract.</summary>
internal static partial class MarkdownText
{
    /// <summary>Normalizes line endings to <c>\n</c>.</summary>
    public static string NormalizeNewlines(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');

    /// <summary>Collapses all whitespace runs to one space and trims.</summary>
    public static string Collapse(string text) => Whitespace().Replace(text, " ").Trim();

    /// <summary>Escapes a table cell: one line, pipes escaped.</summary>
    public static string Cell(string text) => Collapse(text).Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>Renders a pipe table; the first row is the header. Rows are padded to the widest row.</summary>
    public static string PipeTable(IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var columns = rows.Max(r => r.Count);
        if (columns == 0)
        {
            return "";
        }

        var sb = new StringBuilder();
        for (var r = 0; r < rows.Count; r++)
        {
            AppendRow(sb, rows[r], columns);
            if (r == 0)
            {
                sb.Append('|');
                for (var c = 0; c < columns; c++)
                {
                    sb.Append(" --- |");
                }

                sb.Append('\n');
            }
        }

        return sb.ToString().TrimEnd('\n');
    }

    private static void AppendRow(StringBuilder sb, IReadOnlyList<string> row, int columns)
    {
        sb.Append('|');
        for (var c = 0; c < columns; c++)
        {
            var cell = c < row.Count ? Cell(row[c]) : "";
            sb.Append(' ').Append(cell).Append(cell.Length == 0 ? "|" : " |");
        }

        sb.Append('\n');
    }

    /// <summary>A fenced code block whose fence is longer than any backtick run in the code.</summary>
    public static string Fence(string code, string? language)
    {
        code = NormalizeNewlines(code).Trim('\n').TrimEnd();
        var fence = "```";
        while (code.Contains(fence, StringComparison.Ordinal))
        {
            fence += "`";
        }

        return $"{fence}{language}\n{code}\n{fence}";
    }

    /// <summary>
    /// Final normalization: <c>\n</c> line endings, trailing whitespace removed outside fenced code,
    /// at most one blank line in a row outside fenced code, no leading/trailing blank lines.
    /// </summary>
    public static string Finish(string markdown)
    {
        var lines = NormalizeNewlines(markdown).Split('\n');
        var sb = new StringBuilder(markdown.Length);
        string? fence = null;
        var pendingBlank = false;
        foreach (var raw in lines)
        {
            if (fence is not null)
            {
                var code = raw.TrimEnd();
                sb.Append('\n').Append(code);
                var t = code.TrimStart();
                if (t.StartsWith(fence, StringComparison.Ordinal) && t.Trim(fence[0]).Length == 0)
                {
                    fence = null;
                }

                continue;
            }

            var line = raw.TrimEnd();
            if (line.Length == 0)
            {
                pendingBlank = true;
                continue;
            }

            if (sb.Length > 0)
            {
                sb.Append(pendingBlank ? "\n\n" : "\n");
            }

            pendingBlank = false;
            sb.Append(line);
            var m = FenceOpen().Match(line.TrimStart());
            if (m.Success)
            {
                fence = m.Groups[1].Value;
            }
        }

        return sb.ToString().TrimEnd();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^(`{3,}|~{3,})")]
    private static partial Regex FenceOpen();
}
