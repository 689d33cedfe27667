using System.Net;

namespace SkAgents.Memory.Weaviate;

/// <summary>A Weaviate call failed: an HTTP error status, a GraphQL <c>errors</c> array or a timeout.</summary>
public class WeaviateException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="WeaviateException"/> class.</summary>
    public WeaviateException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="WeaviateException"/> class.</summary>
    /// <param name="message">The message.</param>
    public WeaviateException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="WeaviateException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public WeaviateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="WeaviateException"/> class.</summary>
    /// <param name="operation">What the store was doing.</param>
    /// <param name="statusCode">The HTTP status, if any.</param>
    /// <param name="serverMessage">What the server said.</param>
    /// <param name="innerException">The cause, if any.</param>
    public WeaviateException(string operation, HttpStatusCode? statusCode, string? serverMessage, Exception? innerException = null)
        : base(Format(operation, statusCode, serverMessage), innerException)
    {
        Operation = operation;
        StatusCode = statusCode;
        ServerMessage = serverMessage;
    }

    /// <summary>Gets what the store was doing (for example <c>create collection SkMemory_docs</c>).</summary>
    public string? Operation { get; }

    /// <summary>Gets the HTTP status, when the server answered with an error status.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>Gets the server's error message.</summary>
    public string? ServerMessage { get; }

    private static string Format(string operation, HttpStatusCode? statusCode, string? serverMessage) =>
        statusCode is { } code
            ? $"Weaviate {operation} failed with HTTP {(int)code} ({code}): {serverMessage}"
            : $"Weaviate {operation} failed: {serverMessage}";
}

/// <summary>Weaviate answered 401: the API key is missing or wrong.</summary>
public sealed class WeaviateAuthenticationException : WeaviateException
{
    /// <summary>Initializes a new instance of the <see cref="WeaviateAuthenticationException"/> class.</summary>
    public WeaviateAuthenticationException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="WeaviateAuthenticationException"/> class.</summary>
    /// <param name="message">The message.</param>
    public WeaviateAuthenticationException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="WeaviateAuthenticationException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public WeaviateAuthenticationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="WeaviateAuthenticationException"/> class.</summary>
    /// <param name="operation">What the store was doing.</param>
    /// <param name="serverMessage">What the server said.</param>
    public WeaviateAuthenticationException(string operation, string? serverMessage)
        : base(operation, HttpStatusCode.Unauthorized, $"{serverMessage} (check {nameof(WeaviateMemoryStoreOptions)}.{nameof(WeaviateMemoryStoreOptions.ApiKey)})")
    {
    }
}

/// <summary>A batch import answered 200 but reported a failed object.</summary>
public sealed class WeaviateBatchException : WeaviateException
{
    /// <summary>Initializes a new instance of the <see cref="WeaviateBatchException"/> class.</summary>
    public WeaviateBatchException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="WeaviateBatchException"/> class.</summary>
    /// <param name="message">The message.</param>
    public WeaviateBatchException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="WeaviateBatchException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public WeaviateBatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="WeaviateBatchException"/> class.</summary>
    /// <param name="operation">What the store was doing.</param>
    /// <param name="objectId">The failed object's id.</param>
    /// <param name="partitionNumber">The failed object's partition number (-1 = the document record).</param>
    /// <param name="serverMessage">The object's error message.</param>
    public WeaviateBatchException(string operation, string objectId, int partitionNumber, string? serverMessage)
        : base(operation, null, $"object {objectId} ({(partitionNumber < 0 ? "document record" : $"partition {partitionNumber}")}) failed: {serverMessage}")
    {
        ObjectId = objectId;
        PartitionNumber = partitionNumber;
    }

    /// <summary>Gets the failed object's id.</summary>
    public string? ObjectId { get; }

    /// <summary>Gets the failed object's partition number (-1 = the document record).</summary>
    public int PartitionNumber { get; }
}
