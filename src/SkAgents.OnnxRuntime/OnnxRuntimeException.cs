namespace SkAgents.OnnxRuntime;

/// <summary>An error reported by ONNX Runtime through a non-null OrtStatus.</summary>
public class OnnxRuntimeException : Exception
{
    /// <summary>Creates an exception with an error code and ONNX Runtime's message.</summary>
    /// <param name="errorCode">The OrtErrorCode reported by ONNX Runtime.</param>
    /// <param name="nativeMessage">The message reported by ONNX Runtime.</param>
    /// <param name="context">Optional context (what was being done), prepended to the message.</param>
    public OnnxRuntimeException(OrtErrorCode errorCode, string nativeMessage, string? context = null)
        : base(FormatMessage(errorCode, nativeMessage, context))
    {
        ErrorCode = errorCode;
        NativeMessage = nativeMessage;
    }

    /// <summary>Creates an exception with an error code, ONNX Runtime's message and an inner exception.</summary>
    /// <param name="errorCode">The OrtErrorCode.</param>
    /// <param name="nativeMessage">The message reported by ONNX Runtime.</param>
    /// <param name="context">Context prepended to the message.</param>
    /// <param name="innerException">The inner exception.</param>
    public OnnxRuntimeException(OrtErrorCode errorCode, string nativeMessage, string? context, Exception? innerException)
        : base(FormatMessage(errorCode, nativeMessage, context), innerException)
    {
        ErrorCode = errorCode;
        NativeMessage = nativeMessage;
    }

    /// <summary>Creates an exception with a message (error code <see cref="OrtErrorCode.Fail"/>).</summary>
    public OnnxRuntimeException()
        : this(OrtErrorCode.Fail, "ONNX Runtime error")
    {
    }

    /// <summary>Creates an exception with a message (error code <see cref="OrtErrorCode.Fail"/>).</summary>
    /// <param name="message">The message.</param>
    public OnnxRuntimeException(string message)
        : this(OrtErrorCode.Fail, message)
    {
    }

    /// <summary>Creates an exception with a message and inner exception (error code <see cref="OrtErrorCode.Fail"/>).</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The inner exception.</param>
    public OnnxRuntimeException(string message, Exception innerException)
        : this(OrtErrorCode.Fail, message, null, innerException)
    {
    }

    /// <summary>The error code reported by ONNX Runtime.</summary>
    public OrtErrorCode ErrorCode { get; }

    /// <summary>The message exactly as reported by ONNX Runtime.</summary>
    public string NativeMessage { get; }

    private static string FormatMessage(OrtErrorCode code, string nativeMessage, string? context) =>
        context is null ? $"[ONNX Runtime {code}] {nativeMessage}" : $"{context}: [ONNX Runtime {code}] {nativeMessage}";
}

/// <summary>The ONNX Runtime native library could not be found or is not usable.</summary>
public class OnnxRuntimeLoadException : DllNotFoundException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="probedPaths">The paths that were tried, in order.</param>
    /// <param name="innerException">The last load error, if any.</param>
    public OnnxRuntimeLoadException(string message, IReadOnlyList<string> probedPaths, Exception? innerException = null)
        : base(message, innerException)
    {
        ProbedPaths = probedPaths;
    }

    /// <summary>Creates the exception.</summary>
    public OnnxRuntimeLoadException()
        : this("The ONNX Runtime native library could not be loaded.", [])
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public OnnxRuntimeLoadException(string message)
        : this(message, [])
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The inner exception.</param>
    public OnnxRuntimeLoadException(string message, Exception innerException)
        : this(message, [], innerException)
    {
    }

    /// <summary>The paths that were tried, in order.</summary>
    public IReadOnlyList<string> ProbedPaths { get; }
}
