using System.Text;

namespace SkAgents.Memory.Partitioning;

/// <summary>The kinds of Markdown blocks the partitioner keeps apart.</summary>
internal enum BlockKind
{
    /// <summary>A paragraph or list: lines up to a blank line.</summary>
    Paragraph,

    /// <summary>A pipe table: consecutive lines starting with <c>|</c>.</summary>
    Table,

    /// <summary>A fenced code block, fences included.</summary>
    Code,
}

/// <summary>A block of text and its 1-based first line.</summary>
internal readonly record struct Block(BlockKind Kind, string Text, int Line);

/// <summary>A heading's content: its heading line(s), path and blocks.</summary>
internal sealed class Section
{
    public string? HeadingText { get; set; }

    public string? Path { get; init; }

    public int? HeadingLine { get; set; }

    public int Level { get; init; }

    public List<Block> Blocks { get; } = [];
}

/// <summary>Cuts normalized Markdown into sections and blocks in one pass.</summary>
internal static class MarkdownSections
{
    public static List<Section> Parse(string markdown)
    {
        var sections = new List<Section>();
        var path = new List<(int Level, string Title)>();
        var current = new Section();
        sections.Add(current);
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var sb = new StringBuilder();
        BlockKind? kind = null;
        var blockLine = 0;
        char fenceChar = '`';
        var fenceLength = 0;

        void Flush()
        {
            if (kind is not null && sb.Length > 0)
            {
                var text = kind == BlockKind.Code ? sb.ToString().TrimEnd('\n') : sb.ToString().Trim('\n');
                if (text.Trim().Length > 0)
                {
                    current.Blocks.Add(new Block(kind.Value, text, blockLine));
                }
            }

            sb.Clear();
            kind = null;
        }

        void Append(string line, BlockKind k, int lineNo)
        {
            if (kind != k)
            {
                Flush();
                kind = k;
                blockLine = lineNo;
            }

            if (sb.Length > 0)
            {
                sb.Append('\n');
            }

            sb.Append(line);
        }

        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].TrimEnd('\r');
            var lineNo = n + 1;
            if (kind == BlockKind.Code)
            {
                sb.Append('\n').Append(line);
                if (TextPartitioner.IsClosingFence(line, fenceChar, fenceLength))
                {
                    Flush();
                }

                continue;
            }

            var trimmed = line.TrimStart();
            if (trimmed.Length == 0)
            {
                Flush();
                continue;
            }

            if (trimmed.StartsWith("```", StringComparison.Ordinal) || trimmed.StartsWith("~~~", StringComparison.Ordinal))
            {
                Flush();
                fenceChar = trimmed[0];
                fenceLength = 0;
                while (fenceLength < trimmed.Length && trimmed[fenceLength] == fenceChar)
                {
                    fenceLength++;
                }

                kind = BlockKind.Code;
                blockLine = lineNo;
                sb.Append(line);
                continue;
            }

            var level = HeadingLevel(trimmed);
            if (level > 0)
            {
                Flush();
                var title = trimmed[level..].Trim().TrimEnd('#').Trim();
                while (path.Count > 0 && path[^1].Level >= level)
                {
                    path.RemoveAt(path.Count - 1);
                }

                path.Add((level, title));
                var pathText = string.Join(" > ", path.Select(p => p.Title).Where(t => t.Length > 0));
                var heading = trimmed.TrimEnd();
                if (current.Blocks.Count == 0 && current.HeadingText is not null && level > current.Level)
                {
                    // An empty parent section: its heading goes on top of its first child's.
                    heading = current.HeadingText + "\n\n" + heading;
                    lineNo = current.HeadingLine ?? lineNo;
                    sections.RemoveAt(sections.Count - 1);
                }

                current = new Section { HeadingText = heading, Path = pathText.Length > 0 ? pathText : null, HeadingLine = lineNo, Level = level };
                sections.Add(current);
                continue;
            }

            Append(line, trimmed[0] == '|' ? BlockKind.Table : BlockKind.Paragraph, lineNo);
        }

        Flush();
        return sections;
    }

    private static int HeadingLevel(string trimmed)
    {
        var level = 0;
        while (level < trimmed.Length && level < 7 && trimmed[level] == '#')
        {
            level++;
        }

        return level is >= 1 and <= 6 && (level == trimmed.Length || trimmed[level] is ' ' or '\t') ? level : 0;
    }
}
