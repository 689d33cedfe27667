using System.ComponentModel;
using System.Globalization;
using SkAgents.Plugins;

namespace SkAgents.Plugins.Time;

/// <summary>
/// Current date and time in any time zone, conversions between zones and date arithmetic. Models cannot know the
/// current time, and they get zone offsets and day counts wrong; this plugin answers exactly.
/// </summary>
[Plugin("time")]
[Description("Current date and time in any time zone, time-zone conversion and date arithmetic.")]
public sealed class TimePlugin
{
    private readonly TimeProvider _clock;

    /// <summary>Creates the plugin.</summary>
    /// <param name="clock">The clock; <see cref="TimeProvider.System"/> by default.</param>
    public TimePlugin(TimeProvider? clock = null) => _clock = clock ?? TimeProvider.System;

    /// <summary>Gets the current date and time.</summary>
    /// <param name="timeZone">An IANA (Europe/Rome) or Windows time-zone id; UTC when omitted.</param>
    /// <returns>The moment, in that zone.</returns>
    [ReadOnlyTool]
    [Description("Gets the current date and time in a time zone.")]
    public ZonedTime Now(
        [Description("IANA time-zone id such as Europe/Rome or America/New_York; UTC when omitted.")] string? timeZone = null)
    {
        var zone = FindZone(timeZone);
        return ZonedTime.From(TimeZoneInfo.ConvertTime(_clock.GetUtcNow(), zone), zone);
    }

    /// <summary>Converts a date and time from one zone to another.</summary>
    /// <param name="dateTime">An ISO 8601 date and time.</param>
    /// <param name="toTimeZone">The zone to convert to.</param>
    /// <param name="fromTimeZone">The zone <paramref name="dateTime"/> is in when it has no offset; UTC when omitted.</param>
    /// <returns>The same moment in the target zone.</returns>
    [ReadOnlyTool]
    [Description("Converts a date and time to another time zone.")]
    public static ZonedTime Convert(
        [Description("ISO 8601 date and time, e.g. 2026-03-01T09:30 or 2026-03-01T09:30:00+01:00.")] string dateTime,
        [Description("IANA time-zone id to convert to.")] string toTimeZone,
        [Description("Time zone of dateTime when it carries no offset; UTC when omitted.")] string? fromTimeZone = null)
    {
        var moment = ParseMoment(dateTime, FindZone(fromTimeZone), nameof(dateTime));
        var target = FindZone(toTimeZone);
        return ZonedTime.From(TimeZoneInfo.ConvertTime(moment, target), target);
    }

    /// <summary>Computes the time between two moments.</summary>
    /// <param name="start">The start, ISO 8601.</param>
    /// <param name="end">The end, ISO 8601.</param>
    /// <param name="timeZone">The zone of values without an offset; UTC when omitted.</param>
    /// <returns>The difference.</returns>
    [ReadOnlyTool]
    [Description("Computes the time between two dates or date-times (end minus start).")]
    public static TimeDifference Difference(
        [Description("Start, ISO 8601 date or date-time.")] string start,
        [Description("End, ISO 8601 date or date-time.")] string end,
        [Description("Time zone of values without an offset; UTC when omitted.")] string? timeZone = null)
    {
        var zone = FindZone(timeZone);
        var span = ParseMoment(end, zone, nameof(end)) - ParseMoment(start, zone, nameof(start));
        return new TimeDifference(span.TotalDays, span.TotalHours, span.TotalMinutes,
            span.ToString(span < TimeSpan.Zero ? "\\-d\\.hh\\:mm\\:ss" : "d\\.hh\\:mm\\:ss", CultureInfo.InvariantCulture));
    }

    /// <summary>Adds a duration to a date and time (calendar-aware for months and years).</summary>
    /// <param name="dateTime">The date and time, ISO 8601.</param>
    /// <param name="years">Years to add (may be negative).</param>
    /// <param name="months">Months to add.</param>
    /// <param name="days">Days to add.</param>
    /// <param name="hours">Hours to add.</param>
    /// <param name="minutes">Minutes to add.</param>
    /// <param name="timeZone">The zone of <paramref name="dateTime"/> when it has no offset, and of the result; UTC when omitted.</param>
    /// <returns>The resulting moment.</returns>
    [ReadOnlyTool]
    [Description("Adds years, months, days, hours and minutes (negative to subtract) to a date and time.")]
    public static ZonedTime Add(
        [Description("ISO 8601 date or date-time.")] string dateTime,
        int years = 0,
        int months = 0,
        int days = 0,
        int hours = 0,
        int minutes = 0,
        [Description("Time zone of dateTime without offset, and of the result; UTC when omitted.")] string? timeZone = null)
    {
        var zone = FindZone(timeZone);
        var local = TimeZoneInfo.ConvertTime(ParseMoment(dateTime, zone, nameof(dateTime)), zone);
        try
        {
            // Calendar parts are added on the wall clock; the offset is then recomputed for the new date (DST changes).
            var wall = local.DateTime.AddYears(years).AddMonths(months).AddDays(days).AddHours(hours).AddMinutes(minutes);
            return ZonedTime.From(new DateTimeOffset(wall, zone.GetUtcOffset(wall)), zone);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new ArgumentOutOfRangeException(nameof(dateTime), "The result falls outside the supported date range (years 1 to 9999).");
        }
    }

    /// <summary>Finds a time zone by IANA or Windows id.</summary>
    /// <param name="id">The id; UTC when empty.</param>
    /// <returns>The zone.</returns>
    /// <exception cref="ArgumentException">No such zone.</exception>
    internal static TimeZoneInfo FindZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id) || string.Equals(id.Trim(), "UTC", StringComparison.OrdinalIgnoreCase))
        {
            return TimeZoneInfo.Utc;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id.Trim());
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ArgumentException($"Unknown time zone '{id}'. Use an IANA id such as Europe/Rome, America/New_York or UTC.", nameof(id), ex);
        }
    }

    private static DateTimeOffset ParseMoment(string value, TimeZoneInfo zone, string parameter)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException("A date or date-time is required.", parameter);
        }

        var text = value.Trim();
        var hasOffset = text.EndsWith('Z') || text.EndsWith('z') || HasNumericOffset(text);
        if (hasOffset && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var withOffset))
        {
            return withOffset;
        }

        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var wall))
        {
            wall = DateTime.SpecifyKind(wall, DateTimeKind.Unspecified);
            return new DateTimeOffset(wall, zone.GetUtcOffset(wall));
        }

        throw new ArgumentException($"'{value}' is not an ISO 8601 date or date-time (for example 2026-03-01 or 2026-03-01T09:30:00+01:00).", parameter);
    }

    private static bool HasNumericOffset(string text)
    {
        var t = text.LastIndexOf('T');
        if (t < 0)
        {
            return false;
        }

        var time = text[t..];
        return time.Contains('+', StringComparison.Ordinal) || time.Contains('-', StringComparison.Ordinal);
    }
}

/// <summary>A moment in a time zone.</summary>
/// <param name="TimeZone">The zone id.</param>
/// <param name="DateTime">ISO 8601 with offset, e.g. 2026-03-01T10:30:00+01:00.</param>
/// <param name="UtcDateTime">The same moment in UTC, ISO 8601.</param>
/// <param name="DayOfWeek">The local day of the week.</param>
/// <param name="UtcOffset">The zone's offset at that moment, e.g. +01:00.</param>
/// <param name="IsDaylightSavingTime">Whether daylight-saving time is in effect.</param>
public sealed record ZonedTime(string TimeZone, string DateTime, string UtcDateTime, string DayOfWeek, string UtcOffset, bool IsDaylightSavingTime)
{
    internal static ZonedTime From(DateTimeOffset moment, TimeZoneInfo zone)
    {
        var offset = moment.Offset;
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        return new ZonedTime(
            zone.Id,
            moment.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            moment.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            moment.DayOfWeek.ToString(),
            sign + offset.Duration().ToString("hh\\:mm", CultureInfo.InvariantCulture),
            zone.IsDaylightSavingTime(moment));
    }
}

/// <summary>The time between two moments.</summary>
/// <param name="TotalDays">In days (fractional).</param>
/// <param name="TotalHours">In hours (fractional).</param>
/// <param name="TotalMinutes">In minutes (fractional).</param>
/// <param name="Text">As d.hh:mm:ss.</param>
public sealed record TimeDifference(double TotalDays, double TotalHours, double TotalMinutes, string Text);
