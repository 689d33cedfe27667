using System.Net;

namespace SkAgents.Plugins.Mastodon;

/// <summary>What went wrong in a Mastodon call, so callers can react without parsing messages.</summary>
public enum MastodonErrorKind
{
    /// <summary>The instance could not be reached or did not answer in time.</summary>
    Network,

    /// <summary>401: the access token is missing, invalid or revoked.</summary>
    Unauthorized,

    /// <summary>403: the token lacks a scope, or the action is not allowed.</summary>
    Forbidden,

    /// <summary>404: the account or status does not exist (or is not visible).</summary>
    NotFound,

    /// <summary>422: the instance refused the content (blank text, over the character limit…).</summary>
    Validation,

    /// <summary>429: rate limited and the wait was longer than allowed, or retries ran out.</summary>
    RateLimited,

    /// <summary>The text is longer than the instance allows (checked before sending).</summary>
    TooLong,

    /// <summary>Any other failure (5xx, unexpected response).</summary>
    Other,
}

/// <summary>A Mastodon call failed; the message says which instance and path, and what to fix. It never holds the token.</summary>
public class MastodonException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MastodonException()
        : this("The Mastodon call failed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public MastodonException(string message)
        : this(message, MastodonErrorKind.Other, null, null, null)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public MastodonException(string message, Exception innerException)
        : this(message, MastodonErrorKind.Other, null, null, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="kind">The kind of failure.</param>
    /// <param name="status">The HTTP status, when there was a response.</param>
    /// <param name="serverError">Mastodon's <c>error</c> text, when there was one.</param>
    /// <param name="innerException">The cause.</param>
    public MastodonException(string message, MastodonErrorKind kind, HttpStatusCode? status, string? serverError, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        Status = status;
        ServerError = serverError;
    }

    /// <summary>Gets the kind of failure.</summary>
    public MastodonErrorKind Kind { get; }

    /// <summary>Gets the HTTP status, when there was a response.</summary>
    public HttpStatusCode? Status { get; }

    /// <summary>Gets Mastodon's <c>error</c> text, when there was one.</summary>
    public string? ServerError { get; }
}
