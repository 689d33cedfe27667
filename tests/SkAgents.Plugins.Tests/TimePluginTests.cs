using System.Text.Json;
using Microsoft.Extensions.AI;
using SkAgents.Plugins;
using SkAgents.Plugins.Time;

namespace SkAgents.Plugins.Tests;

public class TimePluginTests
{
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static readonly DateTimeOffset Moment = new(2026, 7, 15, 12, 30, 0, TimeSpan.Zero);

    [Fact]
    public void Now_in_utc_and_in_a_zone_with_daylight_saving()
    {
        var plugin = new TimePlugin(new FixedClock(Moment));

        var utc = plugin.Now();
        Assert.Equal("UTC", utc.TimeZone);
        Assert.Equal("2026-07-15T12:30:00+00:00", utc.DateTime);
        Assert.Equal("Wednesday", utc.DayOfWeek);

        var rome = plugin.Now("Europe/Rome");
        Assert.Equal("2026-07-15T14:30:00+02:00", rome.DateTime);
        Assert.Equal("2026-07-15T12:30:00Z", rome.UtcDateTime);
        Assert.Equal("+02:00", rome.UtcOffset);
        Assert.True(rome.IsDaylightSavingTime);
    }

    [Fact]
    public void Convert_between_zones_and_from_local_wall_time()
    {
        var ny = TimePlugin.Convert("2026-01-10T09:00:00+01:00", "America/New_York");
        Assert.Equal("2026-01-10T03:00:00-05:00", ny.DateTime);

        var tokyo = TimePlugin.Convert("2026-01-10T09:00", "Asia/Tokyo", fromTimeZone: "Europe/Rome");
        Assert.Equal("2026-01-10T17:00:00+09:00", tokyo.DateTime);
    }

    [Fact]
    public void Difference_counts_days_across_a_dst_change()
    {
        // 29 March 2026: Europe/Rome moves from +01:00 to +02:00, so that day has 23 hours.
        var diff = TimePlugin.Difference("2026-03-29T00:00", "2026-03-30T00:00", "Europe/Rome");
        Assert.Equal(23, diff.TotalHours, 6);
        var days = TimePlugin.Difference("2026-01-01", "2026-03-01");
        Assert.Equal(59, days.TotalDays, 6);
        Assert.Equal("59.00:00:00", days.Text);
        Assert.Equal("-1.00:00:00", TimePlugin.Difference("2026-01-02", "2026-01-01").Text);
    }

    [Fact]
    public void Add_is_calendar_aware()
    {
        var endOfMonth = TimePlugin.Add("2026-01-31T10:00:00Z", months: 1);
        Assert.Equal("2026-02-28T10:00:00+00:00", endOfMonth.DateTime);

        var acrossDst = TimePlugin.Add("2026-03-28T12:00", days: 1, timeZone: "Europe/Rome");
        Assert.Equal("2026-03-29T12:00:00+02:00", acrossDst.DateTime);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TimePlugin.Add("9999-12-31", years: 1));
        Assert.Contains("supported date range", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_zone_and_bad_date_get_clear_errors()
    {
        var plugin = new TimePlugin(new FixedClock(Moment));
        var zone = Assert.Throws<ArgumentException>(() => plugin.Now("Mars/Olympus_Mons"));
        Assert.Contains("Unknown time zone 'Mars/Olympus_Mons'", zone.Message, StringComparison.Ordinal);

        var date = Assert.Throws<ArgumentException>(() => TimePlugin.Convert("next tuesday", "UTC"));
        Assert.Contains("'next tuesday' is not an ISO 8601 date", date.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task As_a_plugin_it_exposes_time_tools_callable_with_json_arguments()
    {
        var plugin = AgentPlugin.FromObject(new TimePlugin(new FixedClock(Moment)));

        Assert.Equal("time", plugin.Name);
        Assert.Equal(["time_add", "time_convert", "time_difference", "time_now"], plugin.Functions.Select(f => f.Name));
        var now = plugin.Functions.Single(f => f.Name == "time_now");
        Assert.False(now.JsonSchema.TryGetProperty("required", out var required) && required.GetArrayLength() > 0);

        var result = (JsonElement)(await now.InvokeAsync(new AIFunctionArguments { ["timeZone"] = "Asia/Kolkata" }))!;
        Assert.Equal("2026-07-15T18:00:00+05:30", result.GetProperty("dateTime").GetString());
    }
}
