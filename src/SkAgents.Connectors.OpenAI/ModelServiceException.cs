namespace SkAgents.Connectors.OpenAI;

/// <summary>
/// A model service (an OpenAI-compatible endpoint) failed a request: it returned an error status,
/// could not be reached, or sent a response that could not be understood. Messages never contain the API key.
/// </summary>
public class ModelServiceException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="ModelServiceException"/> class.</summary>
    public ModelServiceException()
        : base("The model service request failed.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelServiceException"/> class with a message.</summary>
    /// <param name="message">The error message.</param>
    public ModelServiceException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelServiceException"/> class with a message and an inner exception.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public ModelServiceException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelServiceException"/> class with the details of a failed response.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="details">What the service returned.</param>
    /// <param name="innerException">The exception that caused this one, if any.</param>
    public ModelServiceException(string message, ModelServiceErrorDetails details, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(details);
        StatusCode = details.StatusCode;
        ErrorCode = details.ErrorCode;
        ErrorType = details.ErrorType;
        ErrorParameter = details.ErrorParameter;
        ServiceMessage = details.ServiceMessage;
        Endpoint = details.Endpoint;
        RequestId = details.RequestId;
    }

    /// <summary>Gets the HTTP status code the service returned, or <see langword="null"/> when no response was received.</summary>
    public int? StatusCode { get; }

    /// <summary>Gets the <c>error.code</c> of the OpenAI error envelope (for example <c>invalid_api_key</c>), if any.</summary>
    public string? ErrorCode { get; }

    /// <summary>Gets the <c>error.type</c> of the OpenAI error envelope (for example <c>invalid_request_error</c>), if any.</summary>
    public string? ErrorType { get; }

    /// <summary>Gets the <c>error.param</c> of the OpenAI error envelope, if any.</summary>
    public string? ErrorParameter { get; }

    /// <summary>Gets the service's own error message (redacted), if any.</summary>
    public string? ServiceMessage { get; }

    /// <summary>Gets the configured endpoint of the service.</summary>
    public Uri? Endpoint { get; }

    /// <summary>Gets the request id the service assigned (<c>x-request-id</c> response header), if any.</summary>
    public string? RequestId { get; }
}

/// <summary>The service rejected the credentials (HTTP 401 or 403).</summary>
public sealed class ModelAuthenticationException : ModelServiceException
{
    /// <summary>Initializes a new instance of the <see cref="ModelAuthenticationException"/> class.</summary>
    public ModelAuthenticationException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelAuthenticationException"/> class with a message.</summary>
    /// <param name="message">The error message.</param>
    public ModelAuthenticationException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelAuthenticationException"/> class with a message and an inner exception.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public ModelAuthenticationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelAuthenticationException"/> class with the details of a failed response.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="details">What the service returned.</param>
    public ModelAuthenticationException(string message, ModelServiceErrorDetails details)
        : base(message, details)
    {
    }
}

/// <summary>The service kept answering HTTP 429 (rate limited) after the configured retries, or asked for a longer wait than allowed.</summary>
public sealed class ModelRateLimitException : ModelServiceException
{
    /// <summary>Initializes a new instance of the <see cref="ModelRateLimitException"/> class.</summary>
    public ModelRateLimitException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelRateLimitException"/> class with a message.</summary>
    /// <param name="message">The error message.</param>
    public ModelRateLimitException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelRateLimitException"/> class with a message and an inner exception.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public ModelRateLimitException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelRateLimitException"/> class with the details of a failed response.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="details">What the service returned.</param>
    /// <param name="retryAfter">How long the service asked the client to wait, if it said.</param>
    public ModelRateLimitException(string message, ModelServiceErrorDetails details, TimeSpan? retryAfter)
        : base(message, details)
    {
        RetryAfter = retryAfter;
    }

    /// <summary>Gets how long the service asked the client to wait (<c>retry-after-ms</c> or <c>Retry-After</c>), if it said.</summary>
    public TimeSpan? RetryAfter { get; }
}

/// <summary>The service answered HTTP 404: usually an unknown model or deployment, or a wrong endpoint path.</summary>
public sealed class ModelNotFoundException : ModelServiceException
{
    /// <summary>Initializes a new instance of the <see cref="ModelNotFoundException"/> class.</summary>
    public ModelNotFoundException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelNotFoundException"/> class with a message.</summary>
    /// <param name="message">The error message.</param>
    public ModelNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelNotFoundException"/> class with a message and an inner exception.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public ModelNotFoundException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelNotFoundException"/> class with the details of a failed response.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="details">What the service returned.</param>
    public ModelNotFoundException(string message, ModelServiceErrorDetails details)
        : base(message, details)
    {
    }
}

/// <summary>The service sent a response body or a streamed (SSE) chunk that could not be parsed.</summary>
public sealed class ModelResponseFormatException : ModelServiceException
{
    /// <summary>Initializes a new instance of the <see cref="ModelResponseFormatException"/> class.</summary>
    public ModelResponseFormatException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelResponseFormatException"/> class with a message.</summary>
    /// <param name="message">The error message.</param>
    public ModelResponseFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelResponseFormatException"/> class with a message and an inner exception.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The parse failure.</param>
    public ModelResponseFormatException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelResponseFormatException"/> class with response details.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="details">What is known about the response.</param>
    /// <param name="innerException">The parse failure.</param>
    public ModelResponseFormatException(string message, ModelServiceErrorDetails details, Exception? innerException)
        : base(message, details, innerException)
    {
    }
}

/// <summary>The service did not answer within <see cref="OpenAICompatibleClientOptions.NetworkTimeout"/> (after retries).</summary>
public sealed class ModelTimeoutException : ModelServiceException
{
    /// <summary>Initializes a new instance of the <see cref="ModelTimeoutException"/> class.</summary>
    public ModelTimeoutException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelTimeoutException"/> class with a message.</summary>
    /// <param name="message">The error message.</param>
    public ModelTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelTimeoutException"/> class with a message and an inner exception.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The timeout.</param>
    public ModelTimeoutException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelTimeoutException"/> class with details.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="details">What is known about the request.</param>
    /// <param name="innerException">The timeout.</param>
    public ModelTimeoutException(string message, ModelServiceErrorDetails details, Exception? innerException)
        : base(message, details, innerException)
    {
    }
}

/// <summary>What a model service returned with a failed request; used to build <see cref="ModelServiceException"/>s.</summary>
/// <param name="Endpoint">The configured endpoint.</param>
/// <param name="StatusCode">The HTTP status, or <see langword="null"/> when there was no response.</param>
/// <param name="ErrorCode">The envelope's <c>error.code</c>.</param>
/// <param name="ErrorType">The envelope's <c>error.type</c>.</param>
/// <param name="ErrorParameter">The envelope's <c>error.param</c>.</param>
/// <param name="ServiceMessage">The envelope's <c>error.message</c> (redacted).</param>
/// <param name="RequestId">The <c>x-request-id</c> response header.</param>
public sealed record ModelServiceErrorDetails(
    Uri? Endpoint,
    int? StatusCode = null,
    string? ErrorCode = null,
    string? ErrorType = null,
    string? ErrorParameter = null,
    string? ServiceMessage = null,
    string? RequestId = null);

/// <summary>An <see cref="OpenAICompatibleClientOptions"/> setting is missing or invalid.</summary>
public sealed class ModelConfigurationException : InvalidOperationException
{
    /// <summary>Initializes a new instance of the <see cref="ModelConfigurationException"/> class.</summary>
    public ModelConfigurationException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelConfigurationException"/> class with a message.</summary>
    /// <param name="message">The error message.</param>
    public ModelConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelConfigurationException"/> class with a message and an inner exception.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public ModelConfigurationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelConfigurationException"/> class naming the bad setting.</summary>
    /// <param name="settingName">The name of the setting, e.g. <c>Endpoint</c>.</param>
    /// <param name="message">The error message.</param>
    public ModelConfigurationException(string settingName, string message)
        : base(message)
    {
        SettingName = settingName;
    }

    /// <summary>Gets the name of the invalid setting (an <see cref="OpenAICompatibleClientOptions"/> property name).</summary>
    public string? SettingName { get; }
}
