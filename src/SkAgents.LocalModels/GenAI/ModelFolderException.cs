namespace SkAgents.LocalModels.GenAI;

/// <summary>A model folder is missing a file, has a malformed config, or does not match its ONNX session.</summary>
public sealed class ModelFolderException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelFolderException()
    {
    }

    /// <summary>Creates the exception with a message naming the problem.</summary>
    /// <param name="message">What is wrong.</param>
    public ModelFolderException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public ModelFolderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
