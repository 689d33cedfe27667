namespace SkAgents.Plugins.Notion;

/// <summary>What kind of failure a <see cref="NotionApiException"/> reports, from Notion's error <c>code</c>.</summary>
public enum NotionErrorKind
{
    /// <summary>A code this client does not know, or no error JSON at all.</summary>
    Unknown,

    /// <summary><c>unauthorized</c> (401): the integration token is invalid.</summary>
    Unauthorized,

    /// <summary><c>restricted_resource</c> (403): the integration lacks a capability for this operation.</summary>
    RestrictedResource,

    /// <summary><c>object_not_found</c> (404): the object does not exist or is not shared with the integration.</summary>
    ObjectNotFound,

    /// <summary><c>validation_error</c> (400): the request body or parameters failed validation.</summary>
    ValidationError,

    /// <summary><c>missing_version</c> (400): no <c>Notion-Version</c> header was sent.</summary>
    MissingVersion,

    /// <summary><c>invalid_json</c>, <c>invalid_request_url</c>, <c>invalid_request</c> (400).</summary>
    InvalidRequest,

    /// <summary><c>conflict_error</c> (409): a concurrent change; the request can be repeated.</summary>
    Conflict,

    /// <summary><c>rate_limited</c> (429): too many requests, even after waiting as told.</summary>
    RateLimited,

    /// <summary>5xx: <c>internal_server_error</c>, <c>service_unavailable</c>, <c>gateway_timeout</c>… (after retries for reads).</summary>
    ServerError,

    /// <summary>A write (create page, append blocks) failed in a way that does not tell whether Notion applied it.</summary>
    WriteOutcomeUnknown,

    /// <summary>A multi-request write stopped part-way: some blocks were written, the rest were not.</summary>
    WriteIncomplete,
}

/// <summary>
/// A Notion API request failed. Built from Notion's error JSON
/// (<c>{"object":"error","status":…,"code":…,"message":…}</c>) with a message that says what to fix. The integration
/// token never appears in the message.
/// </summary>
public class NotionApiException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="NotionApiException"/> class.</summary>
    public NotionApiException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionApiException"/> class with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public NotionApiException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionApiException"/> class with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public NotionApiException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionApiException"/> class from a failed response.</summary>
    /// <param name="status">The HTTP status (0 when no response arrived).</param>
    /// <param name="code">Notion's error code, e.g. <c>object_not_found</c>.</param>
    /// <param name="message">What went wrong and what to do.</param>
    /// <param name="innerException">The cause, if any.</param>
    public NotionApiException(int status, string? code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
        Code = code;
    }

    /// <summary>Gets the HTTP status (0 when no response arrived).</summary>
    public int Status { get; init; }

    /// <summary>Gets Notion's error code, e.g. <c>validation_error</c>.</summary>
    public string? Code { get; init; }

    /// <summary>Gets Notion's own message, when it sent one.</summary>
    public string? NotionMessage { get; init; }

    /// <summary>Gets Notion's request id, for support.</summary>
    public string? RequestId { get; init; }

    /// <summary>Gets the HTTP method and API path that failed, e.g. <c>GET /v1/pages/…</c>.</summary>
    public string? Request { get; init; }

    /// <summary>Gets the kind of failure.</summary>
    public virtual NotionErrorKind Kind => NotionApiErrors.KindOf(Status, Code);
}

/// <summary>401 <c>unauthorized</c>: the integration token is not valid.</summary>
public sealed class NotionUnauthorizedException : NotionApiException
{
    /// <summary>Initializes a new instance of the <see cref="NotionUnauthorizedException"/> class.</summary>
    public NotionUnauthorizedException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionUnauthorizedException"/> class with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public NotionUnauthorizedException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionUnauthorizedException"/> class with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public NotionUnauthorizedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <inheritdoc/>
    public override NotionErrorKind Kind => NotionErrorKind.Unauthorized;
}

/// <summary>404 <c>object_not_found</c>: the object does not exist or is not shared with the integration.</summary>
public sealed class NotionObjectNotFoundException : NotionApiException
{
    /// <summary>Initializes a new instance of the <see cref="NotionObjectNotFoundException"/> class.</summary>
    public NotionObjectNotFoundException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionObjectNotFoundException"/> class with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public NotionObjectNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionObjectNotFoundException"/> class with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public NotionObjectNotFoundException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <inheritdoc/>
    public override NotionErrorKind Kind => NotionErrorKind.ObjectNotFound;
}

/// <summary>400 <c>validation_error</c>: Notion rejected the request's body or parameters (its message says which).</summary>
public sealed class NotionValidationException : NotionApiException
{
    /// <summary>Initializes a new instance of the <see cref="NotionValidationException"/> class.</summary>
    public NotionValidationException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionValidationException"/> class with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public NotionValidationException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionValidationException"/> class with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public NotionValidationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <inheritdoc/>
    public override NotionErrorKind Kind => NotionErrorKind.ValidationError;
}

/// <summary>403 <c>restricted_resource</c>: the integration lacks the capability (read/insert/update content).</summary>
public sealed class NotionRestrictedResourceException : NotionApiException
{
    /// <summary>Initializes a new instance of the <see cref="NotionRestrictedResourceException"/> class.</summary>
    public NotionRestrictedResourceException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionRestrictedResourceException"/> class with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public NotionRestrictedResourceException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionRestrictedResourceException"/> class with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public NotionRestrictedResourceException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <inheritdoc/>
    public override NotionErrorKind Kind => NotionErrorKind.RestrictedResource;
}

/// <summary>429 <c>rate_limited</c>, still after the allowed retries (or a <c>Retry-After</c> longer than allowed).</summary>
public sealed class NotionRateLimitedException : NotionApiException
{
    /// <summary>Initializes a new instance of the <see cref="NotionRateLimitedException"/> class.</summary>
    public NotionRateLimitedException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionRateLimitedException"/> class with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public NotionRateLimitedException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionRateLimitedException"/> class with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public NotionRateLimitedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets how long Notion asked to wait, when it said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <inheritdoc/>
    public override NotionErrorKind Kind => NotionErrorKind.RateLimited;
}

/// <summary>400 <c>missing_version</c>: the request had no <c>Notion-Version</c> header.</summary>
public sealed class NotionMissingVersionException : NotionApiException
{
    /// <summary>Initializes a new instance of the <see cref="NotionMissingVersionException"/> class.</summary>
    public NotionMissingVersionException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionMissingVersionException"/> class with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public NotionMissingVersionException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionMissingVersionException"/> class with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public NotionMissingVersionException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <inheritdoc/>
    public override NotionErrorKind Kind => NotionErrorKind.MissingVersion;
}

/// <summary>
/// A write (create page, append blocks) failed with a server error, a timeout or a broken connection, so it is not
/// known whether Notion applied it. Writes are not idempotent, so the client never repeats them in this case: check
/// the page before trying again, or the content may be duplicated.
/// </summary>
public sealed class NotionWriteOutcomeUnknownException : NotionApiException
{
    /// <summary>Initializes a new instance of the <see cref="NotionWriteOutcomeUnknownException"/> class.</summary>
    public NotionWriteOutcomeUnknownException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionWriteOutcomeUnknownException"/> class with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public NotionWriteOutcomeUnknownException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionWriteOutcomeUnknownException"/> class with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public NotionWriteOutcomeUnknownException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <inheritdoc/>
    public override NotionErrorKind Kind => NotionErrorKind.WriteOutcomeUnknown;
}

/// <summary>
/// A write that needed several requests (a page with more than 100 blocks) stopped part-way: the page exists and
/// holds the first <see cref="BlocksWritten"/> top-level blocks. <see cref="Exception.InnerException"/> says why.
/// </summary>
public sealed class NotionWriteIncompleteException : NotionApiException
{
    /// <summary>Initializes a new instance of the <see cref="NotionWriteIncompleteException"/> class.</summary>
    public NotionWriteIncompleteException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionWriteIncompleteException"/> class with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public NotionWriteIncompleteException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NotionWriteIncompleteException"/> class with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public NotionWriteIncompleteException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets the page (or block) being written to.</summary>
    public string? PageId { get; init; }

    /// <summary>Gets how many top-level blocks are known to have been written.</summary>
    public int BlocksWritten { get; init; }

    /// <summary>Gets how many top-level blocks were to be written.</summary>
    public int BlocksTotal { get; init; }

    /// <inheritdoc/>
    public override NotionErrorKind Kind => NotionErrorKind.WriteIncomplete;
}

/// <summary>Maps Notion's error codes to kinds and exceptions.</summary>
public static class NotionApiErrors
{
    /// <summary>Gets the kind for an HTTP status and Notion error code.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="code">The error code.</param>
    /// <returns>The kind.</returns>
    public static NotionErrorKind KindOf(int status, string? code) => code switch
    {
        "unauthorized" => NotionErrorKind.Unauthorized,
        "restricted_resource" => NotionErrorKind.RestrictedResource,
        "object_not_found" => NotionErrorKind.ObjectNotFound,
        "validation_error" => NotionErrorKind.ValidationError,
        "missing_version" => NotionErrorKind.MissingVersion,
        "invalid_json" or "invalid_request_url" or "invalid_request" or "invalid_grant" => NotionErrorKind.InvalidRequest,
        "conflict_error" => NotionErrorKind.Conflict,
        "rate_limited" => NotionErrorKind.RateLimited,
        "internal_server_error" or "service_unavailable" or "database_connection_unavailable" or "gateway_timeout" or "service_overload" => NotionErrorKind.ServerError,
        _ => status switch
        {
            401 => NotionErrorKind.Unauthorized,
            403 => NotionErrorKind.RestrictedResource,
            404 => NotionErrorKind.ObjectNotFound,
            409 => NotionErrorKind.Conflict,
            429 => NotionErrorKind.RateLimited,
            >= 500 => NotionErrorKind.ServerError,
            _ => NotionErrorKind.Unknown,
        },
    };

    /// <summary>Builds the typed exception for a failed response.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="code">Notion's error code.</param>
    /// <param name="notionMessage">Notion's message.</param>
    /// <param name="requestId">Notion's request id.</param>
    /// <param name="request">The method and path, e.g. <c>GET /v1/pages/…</c>.</param>
    /// <param name="retryAfter">The <c>Retry-After</c> delay, for 429.</param>
    /// <returns>The exception; its message says what to fix and never contains the token.</returns>
    public static NotionApiException Create(int status, string? code, string? notionMessage, string? requestId, string request, TimeSpan? retryAfter = null)
    {
        var said = string.IsNullOrWhiteSpace(notionMessage) ? string.Empty : $" Notion said: {notionMessage.Trim()}";
        var where = $"Notion {request} failed with {status}{(code is null ? string.Empty : " " + code)}.";
        return KindOf(status, code) switch
        {
            NotionErrorKind.Unauthorized => new NotionUnauthorizedException($"{where} The integration token is not valid: check the integration token (SkAgents:Plugins:Notion:Token or NOTION_TOKEN) in Notion's integration settings.{said}")
            { Status = status, Code = code, NotionMessage = notionMessage, RequestId = requestId, Request = request },
            NotionErrorKind.ObjectNotFound => new NotionObjectNotFoundException($"{where} The object was not found or not shared with the integration: share the page with your integration in Notion's Connections menu (••• → Connections), and check the id.{said}")
            { Status = status, Code = code, NotionMessage = notionMessage, RequestId = requestId, Request = request },
            NotionErrorKind.ValidationError => new NotionValidationException($"{where}{said}")
            { Status = status, Code = code, NotionMessage = notionMessage, RequestId = requestId, Request = request },
            NotionErrorKind.RestrictedResource => new NotionRestrictedResourceException($"{where} The integration lacks the capability for this operation: enable read/insert/update content capabilities for it in Notion's integration settings.{said}")
            { Status = status, Code = code, NotionMessage = notionMessage, RequestId = requestId, Request = request },
            NotionErrorKind.RateLimited => new NotionRateLimitedException($"{where} Notion's rate limit (about 3 requests per second) was exceeded{(retryAfter is { } r ? $"; it asked to wait {r.TotalSeconds:0} s" : string.Empty)}. Try again later.{said}")
            { Status = status, Code = code, NotionMessage = notionMessage, RequestId = requestId, Request = request, RetryAfter = retryAfter },
            NotionErrorKind.MissingVersion => new NotionMissingVersionException($"{where} The Notion-Version header is missing: set SkAgents:Plugins:Notion:Version (e.g. {NotionVersions.Default}).{said}")
            { Status = status, Code = code, NotionMessage = notionMessage, RequestId = requestId, Request = request },
            _ => new NotionApiException(status, code, $"{where}{said}") { NotionMessage = notionMessage, RequestId = requestId, Request = request },
        };
    }
}
