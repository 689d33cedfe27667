namespace SkAgents.Cli;

/// <summary>The process exit codes of <c>skagents</c>.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>The command failed (model service error, tool failure, I/O).</summary>
    public const int Failure = 1;

    /// <summary>The command line or the configuration is wrong.</summary>
    public const int UsageError = 2;

    /// <summary>The agent stopped without a final answer (round or error limit).</summary>
    public const int AgentIncomplete = 3;

    /// <summary>The run was cancelled (Ctrl+C).</summary>
    public const int Cancelled = 130;
}
