using SkAgents.LocalModels.Generation;

namespace SkAgents.LocalModels.Tests;

public class StopSequenceMatcherTests
{
    [Fact]
    public void Stop_split_across_pieces_is_found_and_never_emitted()
    {
        var matcher = new StopSequenceMatcher(["<|end|>", "STOP"]);
        var emitted = string.Concat(new[] { "Hello <|e", "nd", "|> ignored" }.Select(matcher.Append));

        Assert.Equal("Hello ", emitted);
        Assert.True(matcher.Stopped);
        Assert.Equal("<|end|>", matcher.MatchedStopSequence);
        Assert.Equal(string.Empty, matcher.Append("more"));
    }

    [Fact]
    public void Held_back_text_is_released_when_it_is_not_a_stop()
    {
        var matcher = new StopSequenceMatcher(["<|end|>"]);
        Assert.Equal("a ", matcher.Append("a <|"));
        Assert.Equal("<|x", matcher.Append("x"));
        Assert.Equal(string.Empty, matcher.Append("<|en"));
        Assert.Equal("<|en", matcher.Flush());
        Assert.False(matcher.Stopped);
    }

    [Fact]
    public void Earliest_stop_wins_and_no_stops_pass_everything()
    {
        var matcher = new StopSequenceMatcher(["B", "AB"]);
        Assert.Equal("x", matcher.Append("xABy"));
        Assert.Equal("AB", matcher.MatchedStopSequence);

        var none = new StopSequenceMatcher([]);
        Assert.Equal("anything <|end|>", none.Append("anything <|end|>"));
    }
}
