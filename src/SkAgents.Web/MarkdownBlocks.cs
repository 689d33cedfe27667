using System.Text;
using System.Text.RegularExpressions;

namespace SkAgents.Web;

/// <summary>The Markdown building blocks of the converter: collapsed text, pipe tables, code fences, final normalization.</summary>
internal static partial class MarkdownBlocks
{
    /// <summary>Collapses every whitespace run to one space and trims.</summary>
    public static string Collapse(string text) => WhitespaceRun().Replace(text, " ").Trim();

    /// <summary>A pipe table, one row per line; the first row is the header; short rows are padded; pipes in cells escaped.</summary>
    public static string PipeTable(IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var width = rows.Count == 0 ? 0 : rows.Max(r => r.Count);
        if (width == 0)
        {
            return "";
        }

        var lines = new List<string>(rows.Count + 1);
        foreach (var row in rows)
        {
            var cells = Enumerable.Range(0, width)
                .Select(i => i < row.Count ? Collapse(row[i]).Replace("|", "\\|", StringComparison.Ordinal) : "")
                .Select(c => c.Length == 0 ? " |" : " " + c + " |");
            lines.Add("|" + string.Concat(cells));
            if (lines.Count == 1)
            {
                lines.Add("|" + string.Concat(Enumerable.Repeat(" --- |", width)));
            }
        }

        return string.Join("\n", lines);
    }

    /// <summary>A fenced code block; the fence is longer than any backtick run inside the code.</summary>
    public static string Fence(string code, string? language)
    {
        var body = code.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Trim('\n').TrimEnd();
        var longestRun = 0;
        var run = 0;
        foreach (var c in body)
        {
            run = c == '`' ? run + 1 : 0;
            longestRun = Math.Max(longestRun, run);
        }

        var fence = new string('`', Math.Max(3, longestRun + 1));
        return fence + language + "\n" + body + "\n" + fence;
    }

    /// <summary>
    /// Normalizes Markdown: <c>\n</c> line endings; outside fenced code, no trailing spaces and at most one blank line in a
    /// row; no blank lines at either end.
    /// </summary>
    public static string Finish(string markdown)
    {
        var output = new StringBuilder(markdown.Length);
        string? openFence = null;
        var blankPending = false;
        foreach (var raw in markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n'))
        {
            var line = raw.TrimEnd();
            if (openFence is not null)
            {
                output.Append('\n').Append(line);
                var trimmed = line.TrimStart();
                if (trimmed.StartsWith(openFence, StringComparison.Ordinal) && trimmed.Trim(openFence[0]).Length == 0)
                {
                    openFence = null;
                }

                continue;
            }

            if (line.Length == 0)
            {
                blankPending = output.Length > 0;
                continue;
            }

            if (output.Length > 0)
            {
                output.Append(blankPending ? "\n\n" : "\n");
            }

            blankPending = false;
            output.Append(line);
            var open = FenceStart().Match(line.TrimStart());
            if (open.Success)
            {
                openFence = open.Value;
            }
        }

        return output.ToString().TrimEnd();
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRun();

    [GeneratedRegex(@"^(`{3,}|~{3,})")]
    private static partial Regex FenceStart();
}
