using Microsoft.Extensions.AI;

namespace SkAgents.Prompts.Tests;

public class ChatPromptParserTests
{
    [Fact]
    public void Parses_message_tags_into_messages()
    {
        var messages = ChatPromptParser.Parse("""
            <message role="system">You are helpful.</message>
            <message role="user">Hi</message>
            <message role="assistant">Hello!</message>
            <message role="tool">{"ok":true}</message>
            """);

        Assert.Equal([ChatRole.System, ChatRole.User, ChatRole.Assistant, ChatRole.Tool], messages.Select(m => m.Role));
        Assert.Equal(["You are helpful.", "Hi", "Hello!", "{\"ok\":true}"], messages.Select(m => m.Text));
    }

    [Fact]
    public void Decodes_entities_and_trims_content()
    {
        var message = Assert.Single(ChatPromptParser.Parse("<message role=\"user\">\n  a &lt; b &amp;&amp; c &gt; d &quot;q&quot; &#39;s&#39; &#233;\n</message>"));

        Assert.Equal("a < b && c > d \"q\" 's' é", message.Text);
    }

    [Theory]
    [InlineData("Just a plain prompt.")]
    [InlineData("Mentions <message but is not XML")]
    [InlineData("<message role=\"user\">unclosed")]
    [InlineData("<message role=\"user\">a & b</message>")]
    [InlineData("<other>no message elements</other>")]
    [InlineData("<message>no role</message>")]
    public void Falls_back_to_one_user_message_with_the_raw_text(string prompt)
    {
        Assert.False(ChatPromptParser.TryParse(prompt, out _));
        var message = Assert.Single(ChatPromptParser.Parse(prompt));

        Assert.Equal(ChatRole.User, message.Role);
        Assert.Equal(prompt, message.Text);
    }

    [Fact]
    public void Refuses_dtds()
    {
        const string Prompt = "<!DOCTYPE root [<!ENTITY x \"expanded\">]><message role=\"user\">&x;</message>";

        Assert.False(ChatPromptParser.TryParse(Prompt, out _));
        Assert.Equal(Prompt, Assert.Single(ChatPromptParser.Parse(Prompt)).Text);
    }

    [Fact]
    public void Control_characters_do_not_break_parsing()
    {
        var messages = ChatPromptParser.Parse("<message role=\"system\">rules</message><message role=\"user\">bell\u0007 and nul-ish \u0001 text</message>");

        Assert.Equal(2, messages.Count);
        Assert.Equal("bell\u0007 and nul-ish \u0001 text", messages[1].Text);
    }

    [Fact]
    public void Reads_text_and_image_parts()
    {
        var message = Assert.Single(ChatPromptParser.Parse("""
            <message role="user"><text>What is this?</text><image>https://example.com/cat.png</image><image>data:image/png;base64,iVBORw0KGgo=</image></message>
            """));

        Assert.Equal("What is this?", Assert.IsType<TextContent>(message.Contents[0]).Text);
        Assert.Equal(new Uri("https://example.com/cat.png"), Assert.IsType<UriContent>(message.Contents[1]).Uri);
        Assert.Equal("image/png", Assert.IsType<DataContent>(message.Contents[2]).MediaType);
    }

    [Fact]
    public void Keeps_unknown_roles_names_and_nested_markup()
    {
        var message = Assert.Single(ChatPromptParser.Parse("<message role=\"developer\" name=\"ops\">Use <b>bold</b> text</message>"));

        Assert.Equal("developer", message.Role.Value);
        Assert.Equal("ops", message.AuthorName);
        Assert.Equal("Use <b>bold</b> text", message.Text);
    }

    [Fact]
    public void Ignores_text_between_messages_and_messages_without_role()
    {
        var messages = ChatPromptParser.Parse("stray text <message role=\"user\">kept</message> more <message>dropped</message>");

        Assert.Equal("kept", Assert.Single(messages).Text);
    }

    [Fact]
    public void Try_parse_rejects_null()
    {
        Assert.False(ChatPromptParser.TryParse(null, out var messages));
        Assert.Null(messages);
    }
}
