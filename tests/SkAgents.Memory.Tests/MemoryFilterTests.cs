using SkAgents.Memory.Storage;

namespace SkAgents.Memory.Tests;

public class MemoryFilterTests
{
    private static Dictionary<string, IReadOnlyList<string>> Tags(params (string Key, string Value)[] tags) =>
        tags.GroupBy(t => t.Key).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(t => t.Value).ToList());

    [Fact]
    public void Conditions_in_one_filter_are_anded_including_not()
    {
        var filter = MemoryFilter.ByTag("team", "core").AndTag("year", "2026").NotTag("status", "draft");

        Assert.True(filter.Matches(Tags(("team", "core"), ("year", "2026"), ("status", "final"))));
        Assert.False(filter.Matches(Tags(("team", "core"), ("year", "2025"))));
        Assert.False(filter.Matches(Tags(("team", "core"), ("year", "2026"), ("status", "draft"))));
        Assert.False(filter.Matches(Tags(("year", "2026"))));
    }

    [Fact]
    public void Filters_in_a_list_are_ored_and_an_empty_list_matches_all()
    {
        IReadOnlyList<MemoryFilter> filters = [MemoryFilter.ByTag("team", "core"), MemoryFilter.ByDocument("doc-7")];

        Assert.True(MemoryFilter.MatchesAny(filters, Tags(("team", "core"))));
        Assert.True(MemoryFilter.MatchesAny(filters, Tags((ReservedTags.DocumentId, "doc-7"))));
        Assert.False(MemoryFilter.MatchesAny(filters, Tags(("team", "web"))));
        Assert.True(MemoryFilter.MatchesAny(null, Tags()));
        Assert.True(new MemoryFilter().IsEmpty);
    }

    [Fact]
    public void A_key_with_several_required_values_needs_all_of_them()
    {
        var filter = MemoryFilter.ByTag("lang", "en").AndTag("lang", "it");
        Assert.True(filter.Matches(Tags(("lang", "en"), ("lang", "it"))));
        Assert.False(filter.Matches(Tags(("lang", "en"))));
        Assert.True(ReservedTags.IsReserved("__document_id"));
        Assert.False(ReservedTags.IsReserved("team"));
        Assert.Throws<ArgumentException>(() => MemoryFilter.ByTag(" ", "x"));
    }
}
