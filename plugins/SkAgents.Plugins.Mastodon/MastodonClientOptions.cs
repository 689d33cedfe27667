namespace SkAgents.Plugins.Mastodon;

/// <summary>Settings of a <see cref="MastodonClient"/>.</summary>
public sealed class MastodonClientOptions
{
    /// <summary>Gets or sets the instance base URL, e.g. <c>https://mastodon.social/</c>.</summary>
    public Uri? Instance { get; set; }

    /// <summary>Gets or sets the access token (needs <c>write:statuses</c> to post); reads of public data work without one.</summary>
    public string? AccessToken { get; set; }

    /// <summary>Gets or sets the clock used for waits (Retry-After, rate-limit resets, back-off) and idempotency.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets the time limit of one HTTP attempt.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how many times a failed request is retried (429, 5xx, dropped connections; posts only with their Idempotency-Key).</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Gets or sets the longest wait the client accepts for a 429 or an exhausted rate limit before failing instead.</summary>
    public TimeSpan MaxRetryWait { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the User-Agent header.</summary>
    public string UserAgent { get; set; } = "SkAgents-Mastodon/1.0";

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range.</exception>
    public void Validate()
    {
        if (Instance is null || !Instance.IsAbsoluteUri || (Instance.Scheme != Uri.UriSchemeHttps && Instance.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException("The Mastodon instance must be an absolute http(s) URL, e.g. https://mastodon.social/ (SkAgents:Plugins:Mastodon:Instance).", nameof(Instance));
        }

        if (Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("The Mastodon timeout must be positive.", nameof(Timeout));
        }

        if (MaxRetries < 0)
        {
            throw new ArgumentException("MaxRetries must not be negative.", nameof(MaxRetries));
        }
    }
}
