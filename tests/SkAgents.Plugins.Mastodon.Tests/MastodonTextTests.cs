namespace SkAgents.Plugins.Mastodon.Tests;

/// <summary>HTML to text and Mastodon's character counting.</summary>
public sealed class MastodonTextTests
{
    [Fact]
    public void Paragraphs_become_blank_lines_and_br_a_line_break()
    {
        Assert.Equal("First line\nsecond line\n\nNext paragraph", MastodonHtml.ToPlainText("<p>First line<br>second line</p><p>Next paragraph</p>"));
        Assert.Equal("a\nb", MastodonHtml.ToPlainText("<p>a<br />b</p>"));
    }

    [Fact]
    public void Mentions_hashtags_and_shortened_links_become_their_visible_text()
    {
        const string html = "<p><span class=\"h-card\" translate=\"no\"><a href=\"https://example.social/@amy\" class=\"u-url mention\">@<span>amy</span></a></span> look: "
            + "<a href=\"https://example.org/articles/2026/some-very-long-slug\" target=\"_blank\" rel=\"nofollow noopener\" translate=\"no\"><span class=\"invisible\">https://</span><span class=\"ellipsis\">example.org/articles/2026/som</span><span class=\"invisible\">e-very-long-slug</span></a> "
            + "<a href=\"https://example.social/tags/Gardening\" class=\"mention hashtag\" rel=\"tag\">#<span>Gardening</span></a></p>";

        Assert.Equal("@amy look: https://example.org/articles/2026/some-very-long-slug #Gardening", MastodonHtml.ToPlainText(html));
    }

    [Fact]
    public void Entities_nested_spans_and_emoji_are_decoded()
    {
        Assert.Equal("Tom & Jerry <3 \"quoted\" it's 🌱🌻 café", MastodonHtml.ToPlainText("<p>Tom &amp; Jerry &lt;3 &quot;quoted&quot; it&#39;s <span><span>🌱</span>&#x1F33B;</span> caf&eacute;</p>"));
    }

    [Fact]
    public void Empty_content_and_stray_whitespace_give_clean_text()
    {
        Assert.Equal(string.Empty, MastodonHtml.ToPlainText(string.Empty));
        Assert.Equal("a b", MastodonHtml.ToPlainText("<p>  a \n  b  </p>"));
    }

    [Fact]
    public void Urls_count_as_23_whatever_their_length()
    {
        Assert.Equal(23, MastodonCharacterCounter.Count("https://a.io"));
        Assert.Equal(23, MastodonCharacterCounter.Count("https://example.org/" + new string('x', 200)));
        Assert.Equal(3 + 23 + 1, MastodonCharacterCounter.Count("go http://example.org/page."));
    }

    [Fact]
    public void Graphemes_count_once_and_spoiler_text_is_included()
    {
        Assert.Equal(1, MastodonCharacterCounter.Count("👩‍👩‍👧‍👦"));
        Assert.Equal(1, MastodonCharacterCounter.Count("👍🏽"));
        Assert.Equal(5 + 2, MastodonCharacterCounter.Count("hello", "cw"));
        Assert.Equal(4, MastodonCharacterCounter.Count("e\u0301t\u00e9 "));
    }

    [Fact]
    public void Remote_mentions_count_only_their_local_part()
    {
        Assert.Equal("@alice hi".Length, MastodonCharacterCounter.Count("@alice@mastodon.example.social hi"));
        Assert.Equal("mail a@b.org".Length, MastodonCharacterCounter.Count("mail a@b.org"));
    }
}
