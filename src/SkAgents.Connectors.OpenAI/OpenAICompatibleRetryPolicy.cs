using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SkAgents.Connectors.OpenAI;

/// <summary>
/// Retry policy for OpenAI-compatible services: retries HTTP 408, 429, 500, 502, 503 and 504 and transport failures
/// up to a maximum count. The wait honours <c>retry-after-ms</c>, then <c>Retry-After</c> (seconds or an HTTP date),
/// else exponential backoff with jitter; every wait is capped, and when the service asks for longer than the cap
/// the policy stops retrying so the caller fails fast. Each retry is logged as a warning (no secrets).
/// </summary>
public sealed class OpenAICompatibleRetryPolicy : ClientRetryPolicy
{
    private readonly int _maxRetries;
    private readonly TimeSpan _initialDelay;
    private readonly TimeSpan _maxDelay;
    private readonly ILogger _logger;
    private readonly string? _secret;

    /// <summary>Initializes a new instance of the <see cref="OpenAICompatibleRetryPolicy"/> class.</summary>
    /// <param name="maxRetries">How many times a request may be retried.</param>
    /// <param name="initialDelay">The first backoff delay when the service gives no hint.</param>
    /// <param name="maxDelay">The longest allowed delay.</param>
    /// <param name="logger">Optional logger for retry warnings.</param>
    /// <param name="secret">Optional API key, redacted from anything logged.</param>
    public OpenAICompatibleRetryPolicy(int maxRetries, TimeSpan initialDelay, TimeSpan maxDelay, ILogger? logger = null, string? secret = null)
        : base(maxRetries)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        ArgumentOutOfRangeException.ThrowIfLessThan(initialDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDelay, TimeSpan.Zero);
        _maxRetries = maxRetries;
        _initialDelay = initialDelay;
        _maxDelay = maxDelay;
        _logger = logger ?? NullLogger.Instance;
        _secret = secret;
    }

    /// <summary>Gets the status codes that are retried.</summary>
    public static IReadOnlySet<int> RetriableStatusCodes { get; } = new HashSet<int> { 408, 429, 500, 502, 503, 504 };

    /// <summary>
    /// Reads how long the service asked the client to wait before retrying: <c>retry-after-ms</c> (milliseconds) first,
    /// then <c>Retry-After</c> as delta-seconds or an HTTP date.
    /// </summary>
    /// <param name="headers">The response headers.</param>
    /// <param name="now">The current time, for HTTP dates.</param>
    /// <returns>The wait, or <see langword="null"/> when the service gave no usable hint.</returns>
    public static TimeSpan? GetServerRetryDelay(PipelineResponseHeaders headers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (headers.TryGetValue("retry-after-ms", out string? ms) &&
            double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out double millis) &&
            millis >= 0 && !double.IsInfinity(millis) && millis < TimeSpan.MaxValue.TotalMilliseconds)
        {
            return TimeSpan.FromMilliseconds(millis);
        }

        if (headers.TryGetValue("Retry-After", out string? retryAfter) && !string.IsNullOrWhiteSpace(retryAfter))
        {
            retryAfter = retryAfter.Trim();
            if (long.TryParse(retryAfter, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
            {
                return seconds > (long)TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.MaxValue : TimeSpan.FromSeconds(seconds);
            }

            if (DateTimeOffset.TryParseExact(retryAfter, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset date) ||
                DateTimeOffset.TryParse(retryAfter, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out date))
            {
                TimeSpan wait = date - now;
                return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
            }
        }

        return null;
    }

    /// <inheritdoc/>
    protected override bool ShouldRetry(PipelineMessage message, Exception? exception)
    {
        ArgumentNullException.ThrowIfNull(message);
        RetryState state = GetState(message);

        if (message.CancellationToken.IsCancellationRequested)
        {
            return false;
        }

        string reason;
        TimeSpan delay;
        if (exception is not null)
        {
            if (!IsTransportFailure(exception, message.CancellationToken))
            {
                return false;
            }

            reason = exception is OperationCanceledException ? "timed out" : $"failed ({exception.GetType().Name})";
            delay = Backoff(state.Retries);
        }
        else
        {
            PipelineResponse? response = message.Response;
            if (response is null || !RetriableStatusCodes.Contains(response.Status))
            {
                return false;
            }

            reason = $"returned {response.Status.ToString(CultureInfo.InvariantCulture)}";
            TimeSpan? requested = GetServerRetryDelay(response.Headers, DateTimeOffset.UtcNow);
            if (requested is { } asked)
            {
                if (asked > _maxDelay)
                {
                    _logger.LogWarning(
                        "Model request to {Endpoint} {Reason} and asked to retry after {RequestedMs} ms, longer than the allowed {MaxMs} ms; not retrying.",
                        DescribeUri(message), reason, (long)asked.TotalMilliseconds, (long)_maxDelay.TotalMilliseconds);
                    return false;
                }

                delay = asked;
            }
            else
            {
                delay = Backoff(state.Retries);
            }
        }

        if (state.Retries >= _maxRetries)
        {
            return false;
        }

        state.Retries++;
        state.NextDelay = delay;
        _logger.LogWarning(
            "Model request to {Endpoint} {Reason}; retry {Attempt} of {MaxRetries} in {DelayMs} ms.",
            DescribeUri(message), reason, state.Retries, _maxRetries, (long)delay.TotalMilliseconds);
        return true;
    }

    /// <inheritdoc/>
    protected override ValueTask<bool> ShouldRetryAsync(PipelineMessage message, Exception? exception)
        => new(ShouldRetry(message, exception));

    /// <inheritdoc/>
    protected override TimeSpan GetNextDelay(PipelineMessage message, int tryCount)
    {
        ArgumentNullException.ThrowIfNull(message);
        return GetState(message).NextDelay;
    }

    private TimeSpan Backoff(int retriesSoFar)
    {
        double baseMs = _initialDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retriesSoFar, 30));
        // Full jitter within [50%, 100%] of the exponential value keeps clients from retrying in lockstep.
        double jittered = baseMs * (0.5 + (Random.Shared.NextDouble() * 0.5));
        double capped = Math.Min(jittered, _maxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped);
    }

    private static bool IsTransportFailure(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested, // network timeout, not the caller
        ClientResultException cre => cre.Status == 0 || cre.GetRawResponse() is null,
        HttpRequestException or IOException or TimeoutException => true,
        AggregateException agg => agg.InnerExceptions.All(e => IsTransportFailure(e, cancellationToken)),
        _ => false,
    };

    private string DescribeUri(PipelineMessage message) =>
        SecretRedactor.Redact(SecretRedactor.DescribeEndpoint(message.Request.Uri), _secret);

    private static RetryState GetState(PipelineMessage message)
    {
        if (message.TryGetProperty(typeof(RetryState), out object? value) && value is RetryState existing)
        {
            return existing;
        }

        var state = new RetryState();
        message.SetProperty(typeof(RetryState), state);
        return state;
    }

    private sealed class RetryState
    {
        public int Retries { get; set; }

        public TimeSpan NextDelay { get; set; }
    }
}
