namespace SkAgents.Memory.Sqlite;

/// <summary>Options for <see cref="SqliteMemoryStore"/>.</summary>
public sealed class SqliteMemoryStoreOptions
{
    /// <summary>Gets the default database path: <c>skagents/memory.db</c> under the user's local application data folder.</summary>
    public static string DefaultDatabasePath =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "skagents", "memory.db");

    /// <summary>Gets or sets the database file path (created with its folder when missing).</summary>
    public string DatabasePath { get; set; } = DefaultDatabasePath;

    /// <summary>Gets or sets how long to wait for another writer's lock before failing. Default 30 seconds.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how many candidates each ranking contributes to hybrid fusion, at least. Default 100 (or 4 × limit when larger).
    /// </summary>
    public int HybridCandidates { get; set; } = 100;
}
