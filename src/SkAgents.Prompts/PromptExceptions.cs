using System.Globalization;

namespace SkAgents.Prompts;

/// <summary>Base class of the errors raised while loading, rendering or running a prompt.</summary>
public class PromptException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="PromptException"/> class.</summary>
    public PromptException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PromptException"/> class.</summary>
    /// <param name="message">The error message.</param>
    public PromptException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PromptException"/> class.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public PromptException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A prompt configuration (usually a YAML file) is malformed or invalid.</summary>
public class PromptConfigurationException : PromptException
{
    /// <summary>Initializes a new instance of the <see cref="PromptConfigurationException"/> class.</summary>
    public PromptConfigurationException()
        : this("The prompt configuration is invalid.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PromptConfigurationException"/> class.</summary>
    /// <param name="message">The error message.</param>
    public PromptConfigurationException(string message)
        : this(null, message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PromptConfigurationException"/> class.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public PromptConfigurationException(string message, Exception? innerException)
        : this(null, message, null, null, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PromptConfigurationException"/> class.</summary>
    /// <param name="sourceName">The file (or other source) the configuration came from, if known.</param>
    /// <param name="problem">What is wrong, without the location.</param>
    /// <param name="line">The 1-based line of the problem, if known.</param>
    /// <param name="column">The 1-based column of the problem, if known.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public PromptConfigurationException(string? sourceName, string problem, int? line = null, int? column = null, Exception? innerException = null)
        : base(Format(sourceName, problem, line, column), innerException)
    {
        SourceName = sourceName;
        Problem = problem;
        Line = line;
        Column = column;
    }

    /// <summary>Gets the file (or other source) the configuration came from, if known.</summary>
    public string? SourceName { get; }

    /// <summary>Gets the 1-based line of the problem, if known.</summary>
    public int? Line { get; }

    /// <summary>Gets the 1-based column of the problem, if known.</summary>
    public int? Column { get; }

    /// <summary>Gets what is wrong, without the location.</summary>
    public string Problem { get; } = string.Empty;

    private static string Format(string? sourceName, string problem, int? line, int? column)
    {
        var where = sourceName ?? "prompt configuration";
        if (line is { } l)
        {
            where += column is { } c
                ? string.Format(CultureInfo.InvariantCulture, " (line {0}, column {1})", l, c)
                : string.Format(CultureInfo.InvariantCulture, " (line {0})", l);
        }

        return $"{where}: {problem}";
    }
}

/// <summary>A prompt template is malformed, or could not be rendered.</summary>
public class PromptTemplateException : PromptException
{
    /// <summary>Initializes a new instance of the <see cref="PromptTemplateException"/> class.</summary>
    public PromptTemplateException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PromptTemplateException"/> class.</summary>
    /// <param name="message">The error message.</param>
    public PromptTemplateException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PromptTemplateException"/> class.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public PromptTemplateException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PromptTemplateException"/> class for a problem at a known place in the template.</summary>
    /// <param name="problem">What is wrong.</param>
    /// <param name="template">The template text, used to compute the line and column.</param>
    /// <param name="position">The 0-based character offset of the problem in <paramref name="template"/>.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public PromptTemplateException(string problem, string template, int position, Exception? innerException = null)
        : this(problem, ComputeLineColumn(template, position), position, innerException)
    {
    }

    private PromptTemplateException(string problem, (int Line, int Column) where, int position, Exception? innerException)
        : base(string.Format(CultureInfo.InvariantCulture, "{0} (template position {1}, line {2}, column {3})", problem, position, where.Line, where.Column), innerException)
    {
        Position = position;
        Line = where.Line;
        Column = where.Column;
    }

    /// <summary>Gets the 0-based character offset of the problem in the template, if known.</summary>
    public int? Position { get; }

    /// <summary>Gets the 1-based line of the problem in the template, if known.</summary>
    public int? Line { get; }

    /// <summary>Gets the 1-based column of the problem in the template, if known.</summary>
    public int? Column { get; }

    private static (int Line, int Column) ComputeLineColumn(string template, int position)
    {
        ArgumentNullException.ThrowIfNull(template);
        int line = 1, column = 1;
        for (var i = 0; i < position && i < template.Length; i++)
        {
            if (template[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }

        return (line, column);
    }
}
