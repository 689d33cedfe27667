namespace SkAgents.ModelHub;

/// <summary>Settings for <see cref="HuggingFaceModelDownloader"/>.</summary>
public sealed class HuggingFaceDownloaderOptions
{
    /// <summary>The public Hugging Face Hub.</summary>
    public static readonly Uri DefaultEndpoint = new("https://huggingface.co/");

    /// <summary>The environment variable that overrides <see cref="Endpoint"/> (a mirror or a private hub).</summary>
    public const string EndpointVariable = "HF_ENDPOINT";

    /// <summary>The environment variable holding the access token.</summary>
    public const string TokenVariable = "HF_TOKEN";

    /// <summary>The legacy environment variable for the access token, read when <see cref="TokenVariable"/> is not set.</summary>
    public const string LegacyTokenVariable = "HUGGING_FACE_HUB_TOKEN";

    /// <summary>Gets or sets the hub's base URL; <see cref="DefaultEndpoint"/> by default.</summary>
    public Uri Endpoint { get; set; } = DefaultEndpoint;

    /// <summary>
    /// Gets or sets the access token sent as <c>Authorization: Bearer</c> to the hub (never to the CDN it redirects to).
    /// Needed for private and gated repositories. It is never written to messages, progress reports or exceptions.
    /// </summary>
    public string? Token { get; set; }

    /// <summary>Gets or sets the branch, tag or commit to download; <c>main</c> by default.</summary>
    public string Revision { get; set; } = "main";

    /// <summary>Gets or sets the folder under which models are stored as <c>&lt;owner&gt;/&lt;name&gt;</c> when no target folder is given.</summary>
    public string ModelsDirectory { get; set; } = ModelHubPaths.GetDefaultModelsDirectory();

    /// <summary>Gets or sets how many files download at the same time; 4 by default.</summary>
    public int MaxParallelDownloads { get; set; } = 4;

    /// <summary>Gets or sets how many times a failed request (429, 5xx, dropped connection, stall) is retried; 5 by default.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>Gets or sets the first retry delay, doubled on each further retry; 1 second by default.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the longest wait between retries, including a server's <c>Retry-After</c>; 60 seconds by default.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets or sets how many redirects one request may follow; 10 by default.</summary>
    public int MaxRedirects { get; set; } = 10;

    /// <summary>Gets or sets how long a download may receive nothing before it is treated as a dropped connection; 60 seconds by default.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets or sets the <c>User-Agent</c> sent with every request.</summary>
    public string UserAgent { get; set; } = "skagents-modelhub/0.1";

    /// <summary>
    /// Builds options from environment variables: <c>HF_ENDPOINT</c>, <c>HF_TOKEN</c> (or <c>HUGGING_FACE_HUB_TOKEN</c>)
    /// and, for <see cref="ModelsDirectory"/>, those read by <see cref="ModelHubPaths.GetDefaultModelsDirectory"/>.
    /// </summary>
    /// <param name="environment">The variables; the process environment when <see langword="null"/>.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentException"><c>HF_ENDPOINT</c> is not an absolute http(s) URL.</exception>
    public static HuggingFaceDownloaderOptions FromEnvironment(IReadOnlyDictionary<string, string?>? environment = null)
    {
        string? Read(string name) =>
            environment is null ? Environment.GetEnvironmentVariable(name)
            : environment.TryGetValue(name, out var value) ? value : null;

        var options = new HuggingFaceDownloaderOptions { ModelsDirectory = ModelHubPaths.GetDefaultModelsDirectory(environment) };
        if (Read(EndpointVariable) is { Length: > 0 } endpoint)
        {
            if (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                throw new ArgumentException($"{EndpointVariable} must be an absolute http(s) URL, got '{endpoint}'.", nameof(environment));
            }

            options.Endpoint = uri;
        }

        var token = Read(TokenVariable);
        if (string.IsNullOrWhiteSpace(token))
        {
            token = Read(LegacyTokenVariable);
        }

        options.Token = string.IsNullOrWhiteSpace(token) ? null : token.Trim();
        return options;
    }
}
