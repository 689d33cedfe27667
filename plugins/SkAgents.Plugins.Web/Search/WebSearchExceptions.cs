namespace SkAgents.Plugins.Web.Search;

/// <summary>A web search failed. Messages name the provider and what to fix; they never contain an API key.</summary>
public class WebSearchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WebSearchException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public WebSearchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public WebSearchException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="provider">The provider's name.</param>
    /// <param name="statusCode">The HTTP status, when the service answered.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public WebSearchException(string provider, int? statusCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Provider = provider;
        StatusCode = statusCode;
    }

    /// <summary>Gets the provider's name, when known.</summary>
    public string? Provider { get; }

    /// <summary>Gets the HTTP status the service answered with, when it answered.</summary>
    public int? StatusCode { get; }
}

/// <summary>No provider is configured, or its settings are incomplete (missing key or endpoint).</summary>
public sealed class WebSearchConfigurationException : WebSearchException
{
    /// <summary>Creates the exception.</summary>
    public WebSearchConfigurationException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is missing and where to set it.</param>
    public WebSearchConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is missing and where to set it.</param>
    /// <param name="innerException">The cause.</param>
    public WebSearchConfigurationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="provider">The provider.</param>
    /// <param name="statusCode">The HTTP status, when the service answered.</param>
    /// <param name="message">What is wrong and what to fix.</param>
    public WebSearchConfigurationException(string provider, int? statusCode, string message)
        : base(provider, statusCode, message)
    {
    }
}

/// <summary>The service rejected the API key (HTTP 401, or 403 for Brave and Tavily).</summary>
public sealed class WebSearchAuthenticationException : WebSearchException
{
    /// <summary>Creates the exception.</summary>
    public WebSearchAuthenticationException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public WebSearchAuthenticationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public WebSearchAuthenticationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="provider">The provider.</param>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="message">What went wrong and which setting to fix.</param>
    public WebSearchAuthenticationException(string provider, int statusCode, string message)
        : base(provider, statusCode, message)
    {
    }
}

/// <summary>The service kept answering 429 (rate or usage limit) after the allowed retries, or asked for a longer wait than allowed.</summary>
public sealed class WebSearchRateLimitException : WebSearchException
{
    /// <summary>Creates the exception.</summary>
    public WebSearchRateLimitException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public WebSearchRateLimitException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public WebSearchRateLimitException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="provider">The provider.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="retryAfter">How long the service asked to wait, when it said.</param>
    public WebSearchRateLimitException(string provider, string message, TimeSpan? retryAfter)
        : base(provider, 429, message)
    {
        RetryAfter = retryAfter;
    }

    /// <summary>Gets how long the service asked to wait, when it said.</summary>
    public TimeSpan? RetryAfter { get; }
}

/// <summary>The service failed (5xx after retries, an unexpected status, a network failure or a timeout).</summary>
public sealed class WebSearchServiceException : WebSearchException
{
    /// <summary>Creates the exception.</summary>
    public WebSearchServiceException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public WebSearchServiceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public WebSearchServiceException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="provider">The provider.</param>
    /// <param name="statusCode">The HTTP status, when the service answered.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public WebSearchServiceException(string provider, int? statusCode, string message, Exception? innerException = null)
        : base(provider, statusCode, message, innerException)
    {
    }
}

/// <summary>The service answered 200 with a body that is not the JSON the provider documents.</summary>
public sealed class WebSearchResponseException : WebSearchException
{
    /// <summary>Creates the exception.</summary>
    public WebSearchResponseException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public WebSearchResponseException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public WebSearchResponseException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="provider">The provider.</param>
    /// <param name="message">What was wrong with the body.</param>
    /// <param name="innerException">The parse error.</param>
    public WebSearchResponseException(string provider, string message, Exception? innerException)
        : base(provider, 200, message, innerException)
    {
    }
}
