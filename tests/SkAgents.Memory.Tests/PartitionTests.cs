using System.Text;
using SkAgents.Memory.Partitioning;
using static SkAgents.Memory.Tests.PartitionTestHelpers;

namespace SkAgents.Memory.Tests;

public class PartitionTests
{
    private static TextPartitioner Make(int max, int overlap = 0, ITokenCounter? counter = null) =>
        new(new TextPartitionerOptions { MaxTokensPerPartition = max, OverlapTokens = overlap, TokenCounter = counter });

    [Theory]
    [InlineData("")]
    [InlineData("   \n\n \t\n")]
    public void Empty_input_gives_no_partitions(string text) => Assert.Empty(new TextPartitioner().Split(text));

    [Fact]
    public void Tiny_input_is_one_partition()
    {
        var parts = new TextPartitioner().Split("\nHello world.\n");
        var p = Assert.Single(parts);
        Assert.Equal(new Partition(0, "Hello world.", null, HeuristicTokenCounter.Instance.CountTokens("Hello world."), 2), p);
    }

    [Fact]
    public void Heading_only_document_keeps_its_heading()
    {
        var p = Assert.Single(new TextPartitioner().Split("# Title"));
        Assert.Equal("# Title", p.Text);
        Assert.Equal("Title", p.SectionPath);
    }

    [Fact]
    public void Headings_make_sections_with_paths_and_heading_text()
    {
        const string doc = "Preamble text.\n\n# Install\n\nIntro.\n\n## Linux\n\nRun apt.\n\n## Windows ##\n\nRun msi.\n\n# Usage\n\nUse it.";
        var parts = new TextPartitioner().Split(doc);
        Assert.Equal([null, "Install", "Install > Linux", "Install > Windows", "Usage"], parts.Select(p => p.SectionPath));
        Assert.Equal("Preamble text.", parts[0].Text);
        Assert.Equal("# Install\n\nIntro.", parts[1].Text);
        Assert.Equal("## Linux\n\nRun apt.", parts[2].Text);
        Assert.Equal("## Windows ##\n\nRun msi.", parts[3].Text);
        Assert.Equal([1, 3, 7, 11, 15], parts.Select(p => p.StartLine ?? -1));
    }

    [Fact]
    public void Empty_parent_heading_goes_on_top_of_its_first_child()
    {
        var parts = new TextPartitioner().Split("# Install\n## Linux\nRun apt.\n# Other\n# Last\nEnd.");
        Assert.Equal(3, parts.Count);
        Assert.Equal("# Install\n\n## Linux\n\nRun apt.", parts[0].Text);
        Assert.Equal("Install > Linux", parts[0].SectionPath);
        Assert.Equal(1, parts[0].StartLine);
        Assert.Equal("# Other", parts[1].Text); // a sibling's empty heading stays its own partition
        Assert.Equal("# Last\n\nEnd.", parts[2].Text);
    }

    [Fact]
    public void Continuation_partitions_keep_the_path_but_not_the_heading()
    {
        var body = string.Join("\n\n", Enumerable.Range(0, 20).Select(i => $"Paragraph number {i} talks about things."));
        var parts = Make(40).Split("# Guide\n\n" + body);
        Assert.True(parts.Count > 2);
        Assert.All(parts, p => Assert.Equal("Guide", p.SectionPath));
        Assert.StartsWith("# Guide\n\n", parts[0].Text);
        Assert.All(parts.Skip(1), p => Assert.DoesNotContain("# Guide", p.Text));
    }

    [Fact]
    public void Paragraphs_are_packed_whole_up_to_the_budget()
    {
        var counter = HeuristicTokenCounter.Instance;
        var paragraphs = Enumerable.Range(0, 30).Select(i => $"Paragraph {i} has some words in it.").ToArray();
        var parts = Make(50).Split(string.Join("\n\n", paragraphs));
        AssertWellFormed(parts, counter, 50);
        Assert.True(parts.Count < paragraphs.Length / 2, "paragraphs should be packed several per partition");
        var seen = parts.SelectMany(p => p.Text.Split("\n\n")).ToArray();
        Assert.Equal(paragraphs, seen); // each paragraph whole, once, in order
        for (var i = 0; i + 1 < parts.Count; i++)
        {
            // Greedy: the next partition's first paragraph did not fit.
            var next = parts[i + 1].Text.Split("\n\n")[0];
            Assert.True(counter.CountTokens(parts[i].Text + "\n\n" + next) > 50);
        }
    }

    [Fact]
    public void Overlap_carries_trailing_sentences_into_the_next_partition()
    {
        var sentences = Enumerable.Range(0, 40).Select(i => $"Sentence {i} is here.").ToArray();
        var parts = Make(40, overlap: 8).Split(string.Join(" ", sentences));
        AssertWellFormed(parts, HeuristicTokenCounter.Instance, 40);
        Assert.True(parts.Count > 3);
        for (var i = 0; i + 1 < parts.Count; i++)
        {
            var lastSentence = sentences.Last(s => parts[i].Text.EndsWith(s, StringComparison.Ordinal));
            Assert.StartsWith(lastSentence, parts[i + 1].Text);
        }

        // Without the overlap, every sentence appears exactly once.
        var plain = Make(40).Split(string.Join(" ", sentences));
        Assert.Equal(string.Join(" ", sentences), string.Join(" ", plain.Select(p => p.Text)));
    }

    [Fact]
    public void Overlap_does_not_cross_sections()
    {
        var body = string.Join(" ", Enumerable.Range(0, 30).Select(i => $"Alpha {i} words."));
        var parts = Make(30, overlap: 10).Split("# A\n\n" + body + "\n\n# B\n\nBeta text.");
        Assert.Equal("# B\n\nBeta text.", parts[^1].Text);
    }

    [Fact]
    public void Giant_paragraph_without_punctuation_is_cut_by_tokens()
    {
        var words = Enumerable.Range(0, 2000).Select(i => $"word{i}").ToArray();
        var text = string.Join(" ", words);
        var parts = Make(30).Split(text);
        AssertWellFormed(parts, HeuristicTokenCounter.Instance, 30);
        Assert.True(parts.Count > 100);
        Assert.Equal(text, string.Join(" ", parts.Select(p => p.Text))); // cut at spaces only, nothing lost
    }

    [Fact]
    public void Multi_line_lists_split_between_items_first()
    {
        var items = Enumerable.Range(0, 40).Select(i => $"- item {i} of the list").ToArray();
        var parts = Make(40).Split(string.Join("\n", items));
        AssertWellFormed(parts, HeuristicTokenCounter.Instance, 40);
        Assert.Equal(items, parts.SelectMany(p => p.Text.Split('\n')));
    }

    [Fact]
    public void Large_table_splits_between_rows_and_repeats_the_header()
    {
        var header = "| Name | Value | Notes |";
        var delimiter = "|---|---:|---|";
        var rows = Enumerable.Range(0, 60).Select(i => $"| row{i} | {i * 7} | some note {i} |").ToArray();
        var doc = "# Data\n\nBefore.\n\n" + string.Join("\n", [header, delimiter, .. rows]) + "\n\nAfter.";
        var parts = Make(80).Split(doc);
        AssertWellFormed(parts, HeuristicTokenCounter.Instance, 80);
        var tableParts = parts.Where(p => p.Text.Contains("| row", StringComparison.Ordinal)).ToList();
        Assert.True(tableParts.Count > 2);
        var seenRows = new List<string>();
        foreach (var p in tableParts)
        {
            var lines = p.Text.Split('\n');
            var at = Array.IndexOf(lines, header);
            Assert.True(at >= 0, "every table chunk repeats the header");
            Assert.Equal(delimiter, lines[at + 1]);
            var tableLines = lines.Skip(at + 2).TakeWhile(l => l.StartsWith('|')).ToList();
            Assert.All(tableLines, l => Assert.Matches(@"^\| row\d+ \| \d+ \| some note \d+ \|$", l));
            seenRows.AddRange(tableLines);
        }

        Assert.Equal(rows, seenRows);
        Assert.All(parts, p => Assert.Equal("Data", p.SectionPath));
    }

    [Fact]
    public void Table_that_fits_is_kept_whole()
    {
        var table = "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |";
        var filler = string.Join(" ", Enumerable.Range(0, 25).Select(i => $"w{i}"));
        var parts = Make(40).Split(filler + "\n\n" + table);
        Assert.Contains(parts, p => p.Text.Contains(table, StringComparison.Ordinal));
    }

    [Fact]
    public void Large_code_block_splits_between_lines_and_is_refenced()
    {
        var code = Enumerable.Range(0, 120).Select(i => $"    var x{i} = Compute({i}, \"s\"); // line {i}").ToArray();
        var doc = "## Code\n\nSee:\n\n```csharp\n" + string.Join("\n", code) + "\n```\n\nDone.";
        var parts = Make(100).Split(doc);
        AssertWellFormed(parts, HeuristicTokenCounter.Instance, 100);
        var codeParts = parts.Where(p => p.Text.Contains("```", StringComparison.Ordinal)).ToList();
        Assert.True(codeParts.Count > 3);
        var seen = new List<string>();
        foreach (var p in codeParts)
        {
            var lines = p.Text.Split('\n');
            var open = Array.IndexOf(lines, "```csharp");
            Assert.True(open >= 0);
            var close = Array.IndexOf(lines, "```", open + 1);
            Assert.True(close > open + 1, "fence re-closed after at least one line");
            seen.AddRange(lines[(open + 1)..close]);
        }

        Assert.Equal(code, seen); // whole lines only, in order, once each
        Assert.EndsWith("```\n\nDone.", parts[^1].Text); // the next paragraph packs after the last chunk
    }

    [Fact]
    public void Blank_lines_and_headings_inside_code_do_not_break_the_block()
    {
        var doc = "```\n# not a heading\n\n| not | table |\n```\nafter";
        var parts = new TextPartitioner().Split(doc);
        Assert.Equal(["```\n# not a heading\n\n| not | table |\n```\n\nafter"], parts.Select(p => p.Text));
        Assert.All(parts, p => Assert.Null(p.SectionPath));
    }

    [Fact]
    public void Giant_code_line_is_cut_as_last_resort_but_stays_fenced()
    {
        var line = string.Join(",", Enumerable.Range(0, 400).Select(i => $"v{i}"));
        var parts = Make(60).Split("```js\n" + line + "\n```");
        AssertWellFormed(parts, HeuristicTokenCounter.Instance, 60);
        Assert.All(parts, p =>
        {
            Assert.StartsWith("```js\n", p.Text);
            Assert.EndsWith("\n```", p.Text);
        });
        Assert.Equal(line, string.Concat(parts.Select(p => p.Text["```js\n".Length..^"\n```".Length])));
    }

    public static TheoryData<int, int> Budgets => new() { { 16, 0 }, { 32, 8 }, { 64, 16 }, { 128, 32 }, { 512, 64 } };

    [Theory]
    [MemberData(nameof(Budgets))]
    public void Budget_is_respected_for_every_partition_with_a_real_tokenizer(int max, int overlap)
    {
        var counter = new TokenizerTokenCounter(ByteLevelTokenizer());
        var parts = Make(max, overlap, counter).Split(MixedDocument());
        Assert.NotEmpty(parts);
        AssertWellFormed(parts, counter, max);
    }

    [Theory]
    [MemberData(nameof(Budgets))]
    public void Budget_is_respected_for_every_partition_with_the_heuristic(int max, int overlap)
    {
        var parts = Make(max, overlap).Split(MixedDocument());
        AssertWellFormed(parts, HeuristicTokenCounter.Instance, max);
    }

    [Fact]
    public void Cjk_and_emoji_with_a_byte_level_tokenizer()
    {
        var counter = new TokenizerTokenCounter(ByteLevelTokenizer());
        var text = string.Concat(Enumerable.Range(0, 30).Select(i => $"这是第{i}个句子，包含表情😀👍🏽和日本語のテキスト。"));
        var parts = Make(64, 0, counter).Split("# 标题\n\n" + text);
        AssertWellFormed(parts, counter, 64);
        Assert.All(parts, p => Assert.DoesNotContain('\uFFFD', p.Text));
        Assert.All(parts, p => Assert.Equal("标题", p.SectionPath));
        Assert.All(parts, p => Assert.True(IsValidUtf16(p.Text)));
        var body = string.Concat(parts.Select((p, i) => i == 0 ? p.Text["# 标题\n\n".Length..] : p.Text));
        Assert.Equal(text, body);
        Assert.Equal(counter.CountTokens(parts[1].Text), Encoding.UTF8.GetByteCount(parts[1].Text));
    }

    [Fact]
    public void Cjk_without_sentence_ends_is_cut_between_graphemes()
    {
        var counter = new TokenizerTokenCounter(ByteLevelTokenizer());
        var text = string.Concat(Enumerable.Repeat("漢字👨‍👩‍👧かな", 100));
        var parts = Make(50, 0, counter).Split(text);
        AssertWellFormed(parts, counter, 50);
        Assert.Equal(text, string.Concat(parts.Select(p => p.Text)));
        Assert.All(parts, p => Assert.True(IsValidUtf16(p.Text)));
        Assert.All(parts, p => Assert.False(p.Text.StartsWith('\u200D') || p.Text.EndsWith('\u200D'), "family emoji kept whole"));
    }

    [Fact]
    public void Word_level_tokenizer_counts_words()
    {
        var counter = new TokenizerTokenCounter(WordLevelTokenizer());
        Assert.Equal(4, counter.CountTokens("the cat sat down"));
        var parts = Make(10, 3, counter).Split(string.Join(" ", Enumerable.Range(0, 50).Select(i => $"the w{i}.")));
        AssertWellFormed(parts, counter, 10);
    }

    [Fact]
    public void Heuristic_counter_estimates()
    {
        var c = HeuristicTokenCounter.Instance;
        Assert.Equal(0, c.CountTokens(""));
        Assert.Equal(4, c.CountTokens("hello world"));
        Assert.Equal(4, c.CountTokens("hello! abc"));
        Assert.Equal(2, c.CountTokens("你好"));
        Assert.Equal(1, c.CountTokens("😀"));
    }

    [Fact]
    public void Output_is_deterministic()
    {
        var a = Make(48, 12).Split(MixedDocument());
        var b = Make(48, 12).Split(MixedDocument());
        Assert.Equal(a, b);
    }

    [Fact]
    public void Invalid_options_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Make(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Make(100, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => Make(100, -1));
    }

    [Fact]
    public void Large_input_is_partitioned_completely_within_the_budget()
    {
        // Speed is measured by the benchmark command, not here; this checks a ~1 MB input keeps every part.
        var document = MixedDocument();
        var doc = string.Concat(Enumerable.Repeat(document + "\n\n", 200));
        var parts = new TextPartitioner().Split(doc);

        Assert.All(parts, p => Assert.InRange(p.TokenCount, 1, 512));
        Assert.Equal(Enumerable.Range(0, parts.Count), parts.Select(p => p.Number));
        var singleRun = new TextPartitioner().Split(document);
        Assert.True(parts.Count >= 200 * singleRun.Count / 2, $"{parts.Count} partitions for 200 copies of a {singleRun.Count}-partition document");
    }

    private static bool IsValidUtf16(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(s[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static string MixedDocument()
    {
        var sb = new StringBuilder();
        sb.Append("Intro line before any heading. It has two sentences.\n\n");
        sb.Append("# Install\n\n");
        for (var i = 0; i < 12; i++)
        {
            sb.Append("Paragraph ").Append(i).Append(" explains a step of the install. Then it says more about it! Does it end? Yes.\n\n");
        }

        sb.Append("## Linux\n\n- apt install skagents\n- dnf install skagents\n- pacman -S skagents\n\n");
        sb.Append("| OS | Package | Size |\n|---|---|---|\n");
        for (var i = 0; i < 40; i++)
        {
            sb.Append("| linux-").Append(i).Append(" | pkg-").Append(i).Append(" | ").Append(i * 13).Append(" MB |\n");
        }

        sb.Append("\n```bash\n");
        for (var i = 0; i < 60; i++)
        {
            sb.Append("echo \"step ").Append(i).Append("\" && ./configure --prefix=/opt/").Append(i).Append('\n');
        }

        sb.Append("```\n\n## 中文\n\n");
        sb.Append(string.Concat(Enumerable.Range(0, 40).Select(i => $"第{i}段文字，😀包含标点。")));
        sb.Append("\n\n# Giant\n\n");
        sb.Append(string.Join(" ", Enumerable.Range(0, 600).Select(i => $"tok{i}")));
        sb.Append("\n\n### Deep ###\n\nLast words.");
        return sb.ToString();
    }
}
