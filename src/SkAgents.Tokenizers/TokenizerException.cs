namespace SkAgents.Tokenizers;

/// <summary>A tokenizer could not be loaded or used (missing file, unreadable configuration).</summary>
public class TokenizerException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="TokenizerException"/> class.</summary>
    public TokenizerException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="TokenizerException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public TokenizerException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="TokenizerException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public TokenizerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A <c>tokenizer.json</c> or <c>tokenizer_config.json</c> document is malformed or holds an unexpected value.</summary>
public class TokenizerFormatException : TokenizerException
{
    /// <summary>Initializes a new instance of the <see cref="TokenizerFormatException"/> class.</summary>
    public TokenizerFormatException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="TokenizerFormatException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public TokenizerFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="TokenizerFormatException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public TokenizerFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="TokenizerFormatException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="jsonPath">Where in the document (for example <c>$.pre_tokenizer.pretokenizers[0]</c>).</param>
    public TokenizerFormatException(string message, string? jsonPath)
        : base(jsonPath is null ? message : $"{message} (at {jsonPath})")
    {
        JsonPath = jsonPath;
    }

    /// <summary>Gets the JSON path of the offending value, when known.</summary>
    public string? JsonPath { get; }
}

/// <summary>A tokenizer component (model, normalizer, pre-tokenizer, post-processor or decoder) has a type this library does not implement.</summary>
public class UnsupportedTokenizerComponentException : TokenizerFormatException
{
    /// <summary>Initializes a new instance of the <see cref="UnsupportedTokenizerComponentException"/> class.</summary>
    public UnsupportedTokenizerComponentException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UnsupportedTokenizerComponentException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public UnsupportedTokenizerComponentException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UnsupportedTokenizerComponentException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public UnsupportedTokenizerComponentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="UnsupportedTokenizerComponentException"/> class.</summary>
    /// <param name="componentKind">The kind of component (<c>model</c>, <c>normalizer</c>, <c>pre_tokenizer</c>, <c>post_processor</c>, <c>decoder</c>).</param>
    /// <param name="componentType">The unsupported <c>type</c> value.</param>
    /// <param name="jsonPath">Where in the document.</param>
    public UnsupportedTokenizerComponentException(string componentKind, string componentType, string jsonPath)
        : base($"Unsupported {componentKind} type '{componentType}'", jsonPath)
    {
        ComponentKind = componentKind;
        ComponentType = componentType;
    }

    /// <summary>Gets the kind of component (<c>model</c>, <c>normalizer</c>, <c>pre_tokenizer</c>, <c>post_processor</c>, <c>decoder</c>).</summary>
    public string? ComponentKind { get; }

    /// <summary>Gets the unsupported <c>type</c> value.</summary>
    public string? ComponentType { get; }
}
