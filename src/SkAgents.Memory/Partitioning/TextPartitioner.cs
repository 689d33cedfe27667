using System.Globalization;
using System.Text;

namespace SkAgents.Memory.Partitioning;

/// <summary>
/// Splits normalized Markdown into token-bounded <see cref="Partition"/>s: along headings first, then blocks
/// (paragraphs, lists, tables, fenced code), then lines, then sentences, and by tokens only as a last resort.
/// </summary>
/// <remarks>
/// Tables split between rows (repeating the header rows) and fenced code between lines (re-opening and closing the fence);
/// only a single row or code line larger than the whole budget is cut inside. Each block is counted once, and each
/// partition once more to check the budget, so the work is linear in the input. The output is deterministic.
/// </remarks>
public sealed class TextPartitioner
{
    private const string BlockSeparator = "\n\n";
    private readonly int max;
    private readonly int overlapTokens;
    private readonly bool includeHeadings;
    private readonly ITokenCounter counter;
    private readonly Dictionary<string, int> separatorCosts = new(StringComparer.Ordinal);

    /// <summary>Initializes a new instance of the <see cref="TextPartitioner"/> class.</summary>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    public TextPartitioner(TextPartitionerOptions? options = null)
    {
        options ??= new TextPartitionerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxTokensPerPartition, 8, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.OverlapTokens, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(options.OverlapTokens, options.MaxTokensPerPartition, nameof(options));
        max = options.MaxTokensPerPartition;
        overlapTokens = options.OverlapTokens;
        includeHeadings = options.IncludeHeadingText;
        counter = options.TokenCounter ?? HeuristicTokenCounter.Instance;
    }

    /// <summary>Gets the token counter that sizes the partitions.</summary>
    public ITokenCounter TokenCounter => counter;

    /// <summary>Splits normalized Markdown into partitions.</summary>
    /// <param name="markdown">The text.</param>
    /// <returns>The partitions, numbered from 0; none for empty or blank text.</returns>
    public IReadOnlyList<Partition> Split(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var result = new List<Partition>();
        var sections = MarkdownSections.Parse(markdown);
        foreach (var section in sections)
        {
            PartitionSection(section, result);
        }

        return result;
    }

    private int SeparatorCost(string separator)
    {
        if (separator.Length == 0)
        {
            return 0;
        }

        lock (separatorCosts)
        {
            if (!separatorCosts.TryGetValue(separator, out var cost))
            {
                cost = counter.CountTokens(separator);
                separatorCosts[separator] = cost;
            }

            return cost;
        }
    }

    private void PartitionSection(Section section, List<Partition> result)
    {
        var heading = section.HeadingText;
        var headingIncluded = includeHeadings && heading is not null;
        var headingCost = headingIncluded ? counter.CountTokens(heading!) + SeparatorCost(BlockSeparator) : 0;
        if (headingIncluded && headingCost > max / 2)
        {
            headingIncluded = false;
            headingCost = 0;
        }

        var budget = max - headingCost;
        var pieces = new List<Piece>();
        foreach (var block in section.Blocks)
        {
            SplitBlock(block, budget, pieces);
        }

        if (pieces.Count == 0)
        {
            if (heading is null)
            {
                return;
            }

            // A section with nothing but its heading(s): the heading is the content.
            headingIncluded = false;
            SplitBlock(new Block(BlockKind.Paragraph, heading, section.HeadingLine ?? 1), max, pieces);
        }

        var first = true;
        string? overlap = null;
        var i = 0;
        while (i < pieces.Count)
        {
            var withHeading = first && headingIncluded;
            var ov = first ? null : overlap;
            var estimate = withHeading ? headingCost : 0;
            if (ov is not null)
            {
                var ovCost = counter.CountTokens(ov);
                if (estimate + ovCost + SeparatorCost(pieces[i].Separator) + pieces[i].Tokens > max)
                {
                    ov = null;
                }
                else
                {
                    estimate += ovCost;
                }
            }

            var end = i;
            while (end < pieces.Count)
            {
                var add = pieces[end].Tokens + (end == i && ov is null ? 0 : SeparatorCost(pieces[end].Separator));
                if (end > i && estimate + add > max)
                {
                    break;
                }

                estimate += add;
                end++;
            }

            string text;
            int real;
            while (true)
            {
                text = Build(withHeading ? heading : null, ov, pieces, i, end);
                real = counter.CountTokens(text);
                if (real <= max)
                {
                    break;
                }

                if (end - i > 1)
                {
                    end--;
                }
                else if (ov is not null)
                {
                    ov = null;
                }
                else
                {
                    // Counts are not exactly additive: cut the single piece smaller and retry.
                    var piece = pieces[i];
                    var target = Math.Min(piece.Tokens, max - (withHeading ? headingCost : 0)) * 9 / 10;
                    var smaller = new List<Piece>();
                    if (target >= 1)
                    {
                        SplitBlock(new Block(piece.Kind, piece.Text, piece.Line), target, smaller);
                    }

                    if (smaller.Count <= 1)
                    {
                        break; // Indivisible (a single grapheme over budget): emit as is.
                    }

                    smaller[0] = smaller[0] with { Separator = piece.Separator };
                    pieces.RemoveAt(i);
                    pieces.InsertRange(i, smaller);
                    end = i + 1;
                }
            }

            var line = withHeading ? section.HeadingLine : pieces[i].Line;
            result.Add(new Partition(result.Count, text, section.Path, real, line));
            overlap = end < pieces.Count && overlapTokens > 0 ? Overlap(pieces, i, end) : null;
            first = false;
            i = end;
        }
    }

    private static string Build(string? heading, string? overlap, List<Piece> pieces, int start, int end)
    {
        var sb = new StringBuilder();
        if (heading is not null)
        {
            sb.Append(heading).Append(BlockSeparator);
        }

        if (overlap is not null)
        {
            sb.Append(overlap);
        }

        for (var k = start; k < end; k++)
        {
            if (k > start || overlap is not null)
            {
                sb.Append(pieces[k].Separator);
            }

            sb.Append(pieces[k].Text);
        }

        return sb.ToString();
    }

    /// <summary>The trailing sentences of the partition's last prose pieces (or the last piece's trailing words), about <see cref="overlapTokens"/> long.</summary>
    private string? Overlap(List<Piece> pieces, int start, int end)
    {
        var parts = new List<string>(); // in reverse order: text, separator, text, ...
        var used = 0;
        var full = false;
        var pending = string.Empty;
        for (var k = end - 1; k >= start && !full; k--)
        {
            var piece = pieces[k];
            if (piece.Kind != BlockKind.Paragraph)
            {
                break;
            }

            var text = piece.Text;
            var lastLine = text.LastIndexOf('\n');
            var sentences = Sentences(lastLine < 0 ? text : text[(lastLine + 1)..]);
            var offset = lastLine + 1;
            for (var n = sentences.Count - 1; n >= 0; n--)
            {
                var (s, e, spaced) = sentences[n];
                var cost = counter.CountTokens(text.Substring(offset + s, e - s)) + (parts.Count == 0 ? 0 : 1);
                if (used + cost > overlapTokens)
                {
                    full = true;
                    break;
                }

                used += cost;
                if (parts.Count > 0)
                {
                    parts.Add(pending);
                }

                parts.Add(text.Substring(offset + s, e - s));
                pending = n > 0 ? (spaced ? " " : string.Empty) : piece.Separator;
                if (n == 0 && lastLine >= 0)
                {
                    full = true; // do not reach above the last line of a multi-line block
                }
            }
        }

        if (parts.Count > 0)
        {
            parts.Reverse();
            var overlap = string.Concat(parts).Trim();
            return overlap.Length > 0 ? overlap : null;
        }

        return TrailingWords(pieces[end - 1]);
    }

    /// <summary>The trailing words of a prose piece whose last sentence is longer than the overlap.</summary>
    private string? TrailingWords(Piece piece)
    {
        if (piece.Kind != BlockKind.Paragraph)
        {
            return null;
        }

        var text = piece.Text;
        var pos = text.Length;
        var wordStart = -1;
        for (var words = 0; pos > 0 && words < overlapTokens; words++)
        {
            var e = pos;
            while (e > 0 && char.IsWhiteSpace(text[e - 1]))
            {
                e--;
            }

            var s = e;
            while (s > 0 && !char.IsWhiteSpace(text[s - 1]))
            {
                s--;
            }

            if (s == 0 || s == e || counter.CountTokens(text[s..]) > overlapTokens)
            {
                break;
            }

            wordStart = s;
            pos = s;
        }

        return wordStart <= 0 ? null : text[wordStart..].Trim();
    }

    private void SplitBlock(Block block, int budget, List<Piece> pieces)
    {
        var text = block.Text;
        if (text.Length == 0)
        {
            return;
        }

        var tokens = counter.CountTokens(text);
        if (tokens <= budget)
        {
            pieces.Add(new Piece(block.Kind, text, tokens, block.Line, BlockSeparator));
            return;
        }

        var startCount = pieces.Count;
        switch (block.Kind)
        {
            case BlockKind.Table:
                SplitTable(block, budget, pieces);
                break;
            case BlockKind.Code:
                SplitCode(block, budget, pieces);
                break;
            default:
                SplitProse(block, budget, pieces);
                break;
        }

        if (pieces.Count > startCount)
        {
            pieces[startCount] = pieces[startCount] with { Separator = BlockSeparator };
        }
    }

    private void SplitProse(Block block, int budget, List<Piece> pieces)
    {
        var lines = block.Text.Split('\n');
        for (var l = 0; l < lines.Length; l++)
        {
            var line = lines[l].TrimEnd();
            if (line.Length == 0)
            {
                continue;
            }

            var lineNo = block.Line + l;
            var tokens = lines.Length == 1 ? int.MaxValue : counter.CountTokens(line);
            if (tokens <= budget)
            {
                pieces.Add(new Piece(BlockKind.Paragraph, line, tokens, lineNo, "\n"));
                continue;
            }

            var first = true;
            foreach (var (s, e, spaced) in Sentences(line))
            {
                var sentence = line[s..e];
                var separator = first ? "\n" : spaced ? " " : string.Empty;
                first = false;
                var count = counter.CountTokens(sentence);
                if (count <= budget)
                {
                    pieces.Add(new Piece(BlockKind.Paragraph, sentence, count, lineNo, separator));
                }
                else
                {
                    foreach (var (chunk, chunkTokens, chunkSpaced) in SplitByTokens(sentence, count, budget))
                    {
                        pieces.Add(new Piece(BlockKind.Paragraph, chunk, chunkTokens, lineNo, separator));
                        separator = chunkSpaced ? " " : string.Empty;
                    }
                }
            }
        }
    }

    private void SplitTable(Block block, int budget, List<Piece> pieces)
    {
        var rows = block.Text.Split('\n');
        var headerRows = rows.Length > 1 && IsTableDelimiterRow(rows[1]) ? 2 : 1;
        var header = string.Join('\n', rows, 0, Math.Min(headerRows, rows.Length));
        var headerCost = counter.CountTokens(header);
        var newline = SeparatorCost("\n");
        if (headerCost + newline >= budget / 2)
        {
            header = string.Empty; // A header too large to repeat: split the rows alone.
            headerCost = 0;
            headerRows = 0;
        }

        var sb = new StringBuilder();
        var cost = 0;
        var chunkLine = 0;
        var rowsInChunk = 0;
        void Flush()
        {
            if (rowsInChunk > 0)
            {
                pieces.Add(new Piece(BlockKind.Table, sb.ToString(), cost, chunkLine, BlockSeparator));
            }

            sb.Clear();
            rowsInChunk = 0;
        }

        for (var r = headerRows; r < rows.Length; r++)
        {
            var row = rows[r];
            var rowCost = counter.CountTokens(row) + newline;
            if (rowsInChunk > 0 && cost + rowCost > budget)
            {
                Flush();
            }

            if (rowsInChunk == 0)
            {
                sb.Append(header);
                cost = headerCost;
                chunkLine = block.Line + r;
                if (headerCost + rowCost > budget)
                {
                    // A single row over the whole budget: the last resort cuts it by tokens.
                    foreach (var (chunk, chunkTokens, _) in SplitByTokens(row, rowCost - newline, budget))
                    {
                        pieces.Add(new Piece(BlockKind.Paragraph, chunk, chunkTokens, block.Line + r, "\n"));
                    }

                    sb.Clear();
                    continue;
                }
            }

            if (sb.Length > 0)
            {
                sb.Append('\n');
            }

            sb.Append(row);
            cost += rowCost;
            rowsInChunk++;
        }

        Flush();
    }

    private void SplitCode(Block block, int budget, List<Piece> pieces)
    {
        var lines = block.Text.Split('\n');
        var open = lines[0];
        var trimmed = open.TrimStart();
        var fenceChar = trimmed[0];
        var fenceLength = 0;
        while (fenceLength < trimmed.Length && trimmed[fenceLength] == fenceChar)
        {
            fenceLength++;
        }

        var close = new string(fenceChar, fenceLength);
        var last = lines.Length;
        if (lines.Length > 1 && IsClosingFence(lines[^1], fenceChar, fenceLength))
        {
            last--;
        }

        var newline = SeparatorCost("\n");
        var frameCost = counter.CountTokens(open) + counter.CountTokens(close) + (2 * newline);
        var sb = new StringBuilder();
        var cost = 0;
        var linesInChunk = 0;
        var chunkLine = 0;
        void Flush()
        {
            if (linesInChunk > 0)
            {
                sb.Append('\n').Append(close);
                pieces.Add(new Piece(BlockKind.Code, sb.ToString(), cost, chunkLine, BlockSeparator));
            }

            sb.Clear();
            linesInChunk = 0;
        }

        for (var l = 1; l < last; l++)
        {
            var line = lines[l];
            var lineCost = counter.CountTokens(line) + newline;
            if (linesInChunk > 0 && cost + lineCost > budget)
            {
                Flush();
            }

            if (linesInChunk == 0)
            {
                cost = frameCost;
                chunkLine = block.Line + l;
                if (frameCost + lineCost > budget)
                {
                    // A single line over the whole budget: the last resort cuts it by tokens, each cut re-fenced.
                    var inner = Math.Max(1, budget - frameCost);
                    foreach (var (chunk, chunkTokens, _) in SplitByTokens(line, lineCost - newline, inner))
                    {
                        pieces.Add(new Piece(BlockKind.Code, open + "\n" + chunk + "\n" + close, chunkTokens + frameCost, block.Line + l, BlockSeparator));
                    }

                    continue;
                }

                sb.Append(open);
            }

            sb.Append('\n').Append(line);
            cost += lineCost;
            linesInChunk++;
        }

        Flush();
    }

    /// <summary>Cuts text into pieces of at most <paramref name="budget"/> tokens, at whitespace when possible, never inside a grapheme.</summary>
    private List<(string Text, int Tokens, bool SpacedBefore)> SplitByTokens(string text, int totalTokens, int budget)
    {
        var result = new List<(string, int, bool)>();
        var charsPerToken = (double)text.Length / Math.Max(1, totalTokens);
        var pos = 0;
        var spaced = false;
        while (pos < text.Length)
        {
            var rest = text.Length - pos;
            var guess = Math.Max(1, (int)(budget * charsPerToken));
            string chunk;
            int count;
            if (guess >= rest && (count = counter.CountTokens(chunk = text[pos..])) <= budget)
            {
                result.Add((chunk, count, spaced));
                break;
            }

            var length = Math.Min(guess, rest);
            while (true)
            {
                var cut = SnapCut(text, pos, length);
                chunk = text.Substring(pos, cut).TrimEnd();
                count = counter.CountTokens(chunk);
                if (count <= budget || cut <= GraphemeLength(text, pos))
                {
                    length = cut;
                    break;
                }

                length = Math.Min(cut - 1, (int)(cut * (double)budget / count * 0.95));
                length = Math.Max(1, length);
            }

            if (chunk.Length > 0)
            {
                result.Add((chunk, count, spaced));
            }

            pos += length;
            spaced = false;
            while (pos < text.Length && char.IsWhiteSpace(text[pos]))
            {
                pos++;
                spaced = true;
            }
        }

        return result;
    }

    private static int GraphemeLength(string text, int pos) => Math.Max(1, StringInfo.GetNextTextElementLength(text.AsSpan(pos)));

    /// <summary>A cut of at most <paramref name="length"/> characters from <paramref name="pos"/>: after whitespace in its second half, else at a grapheme boundary (at least one grapheme).</summary>
    private static int SnapCut(string text, int pos, int length)
    {
        if (pos + length >= text.Length)
        {
            return text.Length - pos;
        }

        for (var k = pos + length; k > pos + (length / 2); k--)
        {
            if (char.IsWhiteSpace(text[k - 1]))
            {
                return k - pos;
            }
        }

        var boundary = 0;
        var span = text.AsSpan(pos, length + Math.Min(16, text.Length - pos - length));
        while (boundary < length)
        {
            var next = StringInfo.GetNextTextElementLength(span[boundary..]);
            if (next <= 0 || boundary + next > length)
            {
                break;
            }

            boundary += next;
        }

        return boundary > 0 ? boundary : GraphemeLength(text, pos);
    }

    /// <summary>Sentence spans (start, end exclusive, whether whitespace preceded it) of a single line.</summary>
    internal static List<(int Start, int End, bool Spaced)> Sentences(string line)
    {
        var result = new List<(int, int, bool)>();
        var start = 0;
        var spaced = false;
        while (start < line.Length && char.IsWhiteSpace(line[start]))
        {
            start++;
        }

        var i = start;
        while (i < line.Length)
        {
            var c = line[i];
            var fullWidth = c is '。' or '！' or '？' or '…';
            if (fullWidth || c is '.' or '!' or '?' or ';')
            {
                var j = i + 1;
                while (j < line.Length && line[j] is '"' or '\'' or ')' or ']' or '”' or '’' or '」' or '』' or '）' or '.' or '!' or '?' or '。' or '！' or '？')
                {
                    j++;
                }

                if (j >= line.Length || char.IsWhiteSpace(line[j]) || fullWidth)
                {
                    result.Add((start, j, spaced));
                    var k = j;
                    while (k < line.Length && char.IsWhiteSpace(line[k]))
                    {
                        k++;
                    }

                    spaced = k > j;
                    start = k;
                    i = k;
                    continue;
                }

                i = j;
                continue;
            }

            i++;
        }

        if (start < line.Length)
        {
            var end = line.Length;
            while (end > start && char.IsWhiteSpace(line[end - 1]))
            {
                end--;
            }

            result.Add((start, end, spaced));
        }

        return result;
    }

    private static bool IsTableDelimiterRow(string row)
    {
        var t = row.Trim();
        if (t.Length == 0 || !t.Contains('-', StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in t)
        {
            if (c is not ('|' or '-' or ':' or ' ' or '\t'))
            {
                return false;
            }
        }

        return true;
    }

    internal static bool IsClosingFence(string line, char fenceChar, int fenceLength)
    {
        var t = line.Trim();
        if (t.Length < fenceLength)
        {
            return false;
        }

        foreach (var c in t)
        {
            if (c != fenceChar)
            {
                return false;
            }
        }

        return true;
    }

    private readonly record struct Piece(BlockKind Kind, string Text, int Tokens, int Line, string Separator);
}
