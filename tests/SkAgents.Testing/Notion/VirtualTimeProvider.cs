namespace SkAgents.Testing.Notion;

/// <summary>
/// A virtual clock for tests: every timer fires at once and moves the clock forward by its due time, so code that
/// waits (rate limiters, Retry-After, back-off) runs instantly while <see cref="Elapsed"/> and <see cref="Delays"/>
/// record how long it would have waited.
/// </summary>
public sealed class VirtualTimeProvider : TimeProvider
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly Lock _gate = new();
    private readonly List<TimeSpan> _delays = [];
    private long _ticks;

    /// <summary>Gets how far the clock has moved.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

    /// <summary>Gets every timer's due time, in order.</summary>
    public IReadOnlyList<TimeSpan> Delays
    {
        get
        {
            lock (_gate)
            {
                return [.. _delays];
            }
        }
    }

    /// <inheritdoc/>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => Start + Elapsed;

    /// <inheritdoc/>
    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    /// <summary>Moves the clock forward.</summary>
    /// <param name="by">How far.</param>
    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new FiredTimer();
        if (dueTime == Timeout.InfiniteTimeSpan)
        {
            return timer;
        }

        lock (_gate)
        {
            _delays.Add(dueTime);
        }

        Advance(dueTime);
        ThreadPool.QueueUserWorkItem(_ => callback(state));
        return timer;
    }

    private sealed class FiredTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => false;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
