namespace SkAgents.Memory.Extraction;

/// <summary>Base class of the errors raised by text extraction.</summary>
public class TextExtractionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TextExtractionException() { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public TextExtractionException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public TextExtractionException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>The file (or source label) being extracted, when known.</summary>
    public string? FileName { get; init; }
}

/// <summary>Raised when no extractor supports a file type.</summary>
public class UnsupportedFileTypeException : TextExtractionException
{
    /// <summary>Creates the exception.</summary>
    public UnsupportedFileTypeException() { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public UnsupportedFileTypeException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public UnsupportedFileTypeException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a type and the supported list.</summary>
    /// <param name="fileType">The unsupported extension or media type.</param>
    /// <param name="fileName">The file name, when known.</param>
    /// <param name="supportedTypes">The supported extensions and media types.</param>
    public UnsupportedFileTypeException(string fileType, string? fileName, IReadOnlyList<string> supportedTypes)
        : base($"Unsupported file type '{fileType}'{(fileName is null ? "" : $" for '{fileName}'")}. Supported: {string.Join(", ", supportedTypes ?? [])}.")
    {
        FileType = fileType;
        FileName = fileName;
        SupportedTypes = supportedTypes ?? [];
    }

    /// <summary>The unsupported extension or media type.</summary>
    public string FileType { get; } = "";

    /// <summary>The supported extensions and media types.</summary>
    public IReadOnlyList<string> SupportedTypes { get; } = [];
}

/// <summary>Raised when a document cannot be parsed (invalid JSON, unterminated CSV quote, ...).</summary>
public class MalformedDocumentException : TextExtractionException
{
    /// <summary>Creates the exception.</summary>
    public MalformedDocumentException() { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public MalformedDocumentException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public MalformedDocumentException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception naming the file and the problem.</summary>
    /// <param name="fileName">The file name.</param>
    /// <param name="format">The format, e.g. <c>JSON</c>.</param>
    /// <param name="problem">What is wrong, with a position when known.</param>
    /// <param name="innerException">The parser error, when any.</param>
    public MalformedDocumentException(string fileName, string format, string problem, Exception? innerException = null)
        : base($"'{fileName}' is not valid {format}: {problem}", innerException)
    {
        FileName = fileName;
        Format = format;
        Problem = problem;
    }

    /// <summary>The format that failed to parse.</summary>
    public string Format { get; } = "";

    /// <summary>The problem description.</summary>
    public string Problem { get; } = "";
}

/// <summary>Raised when an input exceeds <see cref="TextExtractionOptions.MaxInputBytes"/>.</summary>
public class DocumentTooLargeException : TextExtractionException
{
    /// <summary>Creates the exception.</summary>
    public DocumentTooLargeException() { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public DocumentTooLargeException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public DocumentTooLargeException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception naming the file and the limit.</summary>
    /// <param name="fileName">The file name.</param>
    /// <param name="limitBytes">The configured cap.</param>
    /// <param name="actualBytes">The input size when known (seekable streams), else null.</param>
    public DocumentTooLargeException(string fileName, long limitBytes, long? actualBytes)
        : base($"'{fileName}' is too large to extract: {(actualBytes is { } a ? $"{a:N0} bytes" : "more than the limit")}, the limit is {limitBytes:N0} bytes (TextExtractionOptions.MaxInputBytes).")
    {
        FileName = fileName;
        LimitBytes = limitBytes;
        ActualBytes = actualBytes;
    }

    /// <summary>The configured cap in bytes.</summary>
    public long LimitBytes { get; }

    /// <summary>The input size when known.</summary>
    public long? ActualBytes { get; }
}
