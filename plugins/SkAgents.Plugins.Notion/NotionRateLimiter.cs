namespace SkAgents.Plugins.Notion;

/// <summary>
/// A token bucket: <see cref="NotionClientOptions.Burst"/> requests may go at once, then one every
/// 1/<see cref="NotionClientOptions.RequestsPerSecond"/> seconds. Waits on an injectable <see cref="TimeProvider"/>,
/// so tests drive it with a virtual clock. Concurrent callers wait their turn one at a time.
/// </summary>
public sealed class NotionRateLimiter : IDisposable
{
    private readonly TimeProvider _time;
    private readonly double _ratePerSecond;
    private readonly double _capacity;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private double _tokens;
    private long _last;

    /// <summary>Creates the limiter, full.</summary>
    /// <param name="requestsPerSecond">The average rate.</param>
    /// <param name="burst">The bucket size.</param>
    /// <param name="timeProvider">The clock; the system clock when null.</param>
    public NotionRateLimiter(double requestsPerSecond, int burst, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestsPerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        _time = timeProvider ?? TimeProvider.System;
        _ratePerSecond = requestsPerSecond;
        _capacity = burst;
        _tokens = burst;
        _last = _time.GetTimestamp();
    }

    /// <summary>Waits until a request may be sent, and takes its token.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How long the caller waited for its token (zero when one was available).</returns>
    public async ValueTask<TimeSpan> AcquireAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var waited = TimeSpan.Zero;
            while (true)
            {
                Refill();
                if (_tokens >= 1 - 1e-9)
                {
                    _tokens = Math.Max(0, _tokens - 1);
                    return waited;
                }

                // Round up to whole milliseconds (at least one): Task.Delay works in milliseconds and returns at once for less,
                // so a shorter wait would spin without the clock moving.
                var delay = TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling((1 - _tokens) / _ratePerSecond * 1000)));
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                waited += delay;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _gate.Dispose();

    private void Refill()
    {
        var now = _time.GetTimestamp();
        var elapsed = _time.GetElapsedTime(_last, now);
        _last = now;
        _tokens = Math.Min(_capacity, _tokens + (elapsed.TotalSeconds * _ratePerSecond));
    }
}
