namespace SkAgents.Plugins.Files;

/// <summary>Settings of the <see cref="FilesPlugin"/>.</summary>
public sealed class FilesPluginOptions
{
    /// <summary>Gets or sets the one folder the plugin may touch. Paths outside it (including through symbolic links) are refused.</summary>
    public string RootDirectory { get; set; } = Directory.GetCurrentDirectory();

    /// <summary>Gets or sets the largest file <c>files_read</c> will read, in bytes. Default 1 MiB.</summary>
    public long MaxReadBytes { get; set; } = 1024 * 1024;

    /// <summary>Gets or sets the largest content <c>files_write</c> will write, in bytes. Default 1 MiB.</summary>
    public long MaxWriteBytes { get; set; } = 1024 * 1024;

    /// <summary>Gets or sets the most entries <c>files_list</c> returns and files <c>files_search</c> scans. Default 500.</summary>
    public int MaxEntries { get; set; } = 500;
}
