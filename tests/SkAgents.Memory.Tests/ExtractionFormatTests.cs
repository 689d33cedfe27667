using System.Text;
using SkAgents.Memory.Extraction;
using static SkAgents.Memory.Tests.ExtractionTestHelpers;

namespace SkAgents.Memory.Tests;

public class ExtractionFormatTests
{
    [Fact]
    public async Task Txt_NormalizesLineEndings_StripsBom_UsesFileNameAsTitle()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("Line one\r\nLine two  \r\rLine three\u0007\r\n\r\n\r\n\r\nEnd")).ToArray();
        var doc = await ExtractBytesAsync("notes/meeting.txt", bytes);
        Assert.Equal("meeting", doc.Title);
        Assert.Equal("text/plain", doc.MediaType);
        Assert.Equal("Line one\nLine two\n\nLine three\n\nEnd", doc.Markdown);
    }

    [Fact]
    public async Task Txt_DetectsUtf16Bom_AndWindows1252Fallback()
    {
        var utf16 = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("Grüße aus Köln")).ToArray();
        Assert.Equal("Grüße aus Köln", (await ExtractBytesAsync("a.txt", utf16)).Markdown);

        var utf16NoBom = Encoding.Unicode.GetBytes("plain ascii in utf16");
        Assert.Equal("plain ascii in utf16", (await ExtractBytesAsync("b.txt", utf16NoBom)).Markdown);

        var latin = new byte[] { (byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)' ', 0x80 }; // "café €" in Windows-1252, invalid UTF-8
        Assert.Equal("café €", (await ExtractBytesAsync("c.txt", latin)).Markdown);
    }

    [Fact]
    public async Task Markdown_StripsFrontMatter_NormalizesHeadingsListsCodeAndTables()
    {
        const string md = """
            ---
            title: "Install Guide"
            tags: [setup]
            ---
            Overview
            ========

            Some *emphasis* and `code` and a [link](https://example.com/x).

            * first
            * second
              + nested

            Sub section
            -----------

                indented code

            ~~~python
            print("hi")
            ~~~

            Name|Value
            ---|---
            a|1
            b | 2 \| 3
            """;
        var doc = await ExtractAsync("guide.md", md);
        Assert.Equal("Install Guide", doc.Title);
        Assert.Equal("text/markdown", doc.MediaType);
        Assert.DoesNotContain("tags:", doc.Markdown);
        Assert.StartsWith("# Overview\n\nSome *emphasis* and `code` and a [link](https://example.com/x).", doc.Markdown);
        Assert.Contains("- first\n- second\n  - nested", doc.Markdown);
        Assert.Contains("## Sub section", doc.Markdown);
        Assert.Contains("```\nindented code\n```", doc.Markdown);
        Assert.Contains("```python\nprint(\"hi\")\n```", doc.Markdown);
        Assert.Contains("| Name | Value |\n| --- | --- |\n| a | 1 |\n| b | 2 \\| 3 |", doc.Markdown);
    }

    [Fact]
    public async Task Markdown_TitleFallsBackToFirstH1_AndCodeWithFencesUsesLongerFence()
    {
        const string md = "# Real Title\n\n````md\n```\ninner\n```\n````\n\n1. one\n2. two\n";
        var doc = await ExtractAsync("README.markdown", md);
        Assert.Equal("Real Title", doc.Title);
        Assert.Contains("````md\n```\ninner\n```\n````", doc.Markdown);
        Assert.Contains("1. one\n2. two", doc.Markdown);
    }

    [Fact]
    public async Task Json_IsPrettyPrintedInFencedBlock_WithTitleProperty()
    {
        var doc = await ExtractAsync("data.json", """{"title":"Prices","items":[{"name":"Äpfel","price":1.5}], /* c */ "ok":true,}""");
        Assert.Equal("Prices", doc.Title);
        Assert.Equal("application/json", doc.MediaType);
        Assert.StartsWith("```json\n{\n  \"title\": \"Prices\",", doc.Markdown);
        Assert.Contains("\"name\": \"Äpfel\"", doc.Markdown);
        Assert.EndsWith("}\n```", doc.Markdown);
    }

    [Fact]
    public async Task Json_Malformed_RaisesTypedErrorNamingFileAndPosition()
    {
        var ex = await Assert.ThrowsAsync<MalformedDocumentException>(() => ExtractAsync("broken.json", "{\n  \"a\": 1,\n  \"b\": [1, 2\n}"));
        Assert.Equal("broken.json", ex.FileName);
        Assert.Equal("JSON", ex.Format);
        Assert.Contains("broken.json", ex.Message);
        Assert.Contains("line 4", ex.Message);

        var empty = await Assert.ThrowsAsync<MalformedDocumentException>(() => ExtractAsync("empty.json", "  "));
        Assert.Contains("empty", empty.Problem);
    }

    [Fact]
    public async Task Csv_Rfc4180Quoting_ToPipeTable()
    {
        const string csv = "name,quote,notes\r\n\"Smith, John\",\"He said \"\"hi\"\"\",\"multi\r\nline\"\r\nplain,a|b,\r\nshort\r\n\r\n";
        var doc = await ExtractAsync("people.csv", csv);
        Assert.Equal("people", doc.Title);
        Assert.Equal("text/csv", doc.MediaType);
        Assert.Equal(
            "| name | quote | notes |\n| --- | --- | --- |\n| Smith, John | He said \"hi\" | multi line |\n| plain | a\\|b | |\n| short | | |",
            doc.Markdown);
    }

    [Fact]
    public async Task Csv_SemicolonAndTsvDelimiters()
    {
        Assert.Equal("| a | b |\n| --- | --- |\n| 1,5 | 2 |", (await ExtractAsync("eu.csv", "a;b\n1,5;2\n")).Markdown);
        Assert.Equal("| a | b c |\n| --- | --- |\n| 1 | 2 |", (await ExtractAsync("t.tsv", "a\tb c\n1\t2")).Markdown);
    }

    [Theory]
    [InlineData("id,text\n1,\"never closed\n2,x", "unterminated quoted field starting at line 2")]
    [InlineData("id,text\n1,\"closed\"junk\n", "unexpected character 'j' after the closing quote at line 2")]
    public async Task Csv_Malformed_RaisesTypedError(string csv, string problem)
    {
        var ex = await Assert.ThrowsAsync<MalformedDocumentException>(() => ExtractAsync("bad.csv", csv));
        Assert.Equal("bad.csv", ex.FileName);
        Assert.Contains(problem, ex.Message);
    }

    [Fact]
    public async Task UnsupportedType_NamesTypeAndSupportedList()
    {
        var ex = await Assert.ThrowsAsync<UnsupportedFileTypeException>(() => ExtractAsync("slides.pptx", "x"));
        Assert.Equal(".pptx", ex.FileType);
        Assert.Contains(".md", ex.SupportedTypes);
        Assert.Contains("'.pptx'", ex.Message);
        Assert.Contains(".html", ex.Message);

        var noExt = await Assert.ThrowsAsync<UnsupportedFileTypeException>(() => ExtractAsync("Makefile", "x"));
        Assert.Contains("(no extension)", noExt.Message);
    }

    [Fact]
    public async Task Registry_PrefersMediaType_AndAcceptsExtensionsAndMediaTypes()
    {
        var doc = await ExtractAsync("download", "<html><body><main><h1>Hi</h1><p>there</p></main></body></html>", "text/html; charset=utf-8");
        Assert.Equal("text/html", doc.MediaType);
        Assert.Equal("# Hi\n\nthere", doc.Markdown);

        var registry = TextExtractors.Default;
        Assert.IsType<MarkdownExtractor>(registry.Find("md"));
        Assert.IsType<MarkdownExtractor>(registry.Find(".MD"));
        Assert.IsType<HtmlExtractor>(registry.Find("docs/index.HTM"));
        Assert.IsType<CsvExtractor>(registry.Find("text/csv"));
        Assert.IsType<JsonExtractor>(registry.Find("application/json; charset=utf-8"));
        Assert.False(registry.IsSupported("application/pdf"));
        Assert.IsType<JsonExtractor>(registry.Resolve("x.json", "application/octet-stream"));
    }

    [Fact]
    public async Task SizeCap_SeekableAndNonSeekable_RaiseClearError()
    {
        var registry = TextExtractors.CreateDefault(new TextExtractionOptions { MaxInputBytes = 1024 });
        var big = new string('x', 2000);

        var ex = await Assert.ThrowsAsync<DocumentTooLargeException>(() => ExtractAsync("big.txt", big, registry: registry));
        Assert.Equal(1024, ex.LimitBytes);
        Assert.Equal(2000, ex.ActualBytes);
        Assert.Contains("big.txt", ex.Message);
        Assert.Contains("MaxInputBytes", ex.Message);

        using var nonSeekable = new NonSeekableStream(Encoding.UTF8.GetBytes(big));
        var ex2 = await Assert.ThrowsAsync<DocumentTooLargeException>(() => registry.ExtractAsync(nonSeekable, "big.txt"));
        Assert.Null(ex2.ActualBytes);

        Assert.Equal(TextExtractionOptions.DefaultMaxInputBytes, TextExtractors.Default.Options.MaxInputBytes);
        Assert.Equal(50L * 1024 * 1024, TextExtractionOptions.DefaultMaxInputBytes);
    }

    [Fact]
    public async Task ExtractFileAsync_ReadsFromDisk()
    {
        var path = Path.Combine(Path.GetTempPath(), $"extraction-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(path, "a,b\n1,2\n");
        try
        {
            var doc = await TextExtractors.Default.ExtractFileAsync(path);
            Assert.Equal("| a | b |\n| --- | --- |\n| 1 | 2 |", doc.Markdown);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }
}
