using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using SkAgents.Memory.Sqlite;
using SkAgents.Memory.Storage;
using Xunit.Abstractions;

namespace SkAgents.Cli.Tests;

/// <summary>
/// Crash consistency of <c>skagents memory import</c>: the import process is killed (SIGKILL, whole tree) at several
/// points chosen by its own progress output, and after each kill the database must hold only whole documents; a
/// final run must finish the job, skipping exactly the documents that were already committed.
/// </summary>
public sealed class MemoryCrashTests : IDisposable
{
    private const int FileCount = 60;
    private const string Index = "default";
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(3);

    private readonly TempDirectory _work = new();
    private readonly ITestOutputHelper _output;

    public MemoryCrashTests(ITestOutputHelper output) => _output = output;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _work.Dispose();
    }

    [Fact]
    public async Task Killed_imports_leave_only_whole_documents_and_a_rerun_completes_them()
    {
        var markers = WriteCorpus();

        // A reference: the same corpus (same full paths, so the same document ids) imported to completion, undisturbed.
        var reference = await CliProcess.RunAsync(_work.Path, null, null, "memory", "import", "corpus", "--db", "reference.db");
        Assert.True(reference.ExitCode == 0, reference.StdErr);
        Assert.Equal($"{FileCount} imported, 0 unchanged, 0 failed", reference.StdOut.Trim());
        var expected = ReadSnapshot(Path.Combine(_work.Path, "reference.db"));
        Assert.Equal(FileCount, expected.Count);
        AssertConsistent(Path.Combine(_work.Path, "reference.db"), expected, expected);

        // Kill points, by "imported:" lines seen in this run: 0 = right after start, before any output.
        var seenImported = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, DocumentSnapshot> committed = [];
        foreach (var killAfter in new[] { 0, 1, 3, 8, 17 })
        {
            var run = await RunAndKillAsync(killAfter);
            Assert.True(run.Killed || run.ExitCode == 0, $"import exited with {run.ExitCode} before the kill point {killAfter}: {run.StdErr}");
            foreach (var line in run.Lines.Where(l => l.StartsWith("imported: ", StringComparison.Ordinal)))
            {
                seenImported.Add(SourceOf(line));
            }

            committed = ReadSnapshot(Path.Combine(_work.Path, "memory.db"));
            _output.WriteLine($"kill after {killAfter} imported line(s): killed={run.Killed}, exit={run.ExitCode}, {run.Lines.Count} stderr line(s), {committed.Count} document(s) committed");
            AssertConsistent(Path.Combine(_work.Path, "memory.db"), committed, expected);

            // Durability: every file the process reported as imported is in the database.
            var present = committed.Values.Select(d => d.SourceName).ToHashSet(StringComparer.Ordinal);
            Assert.All(seenImported, source => Assert.Contains(source, present));

            // Searchable through the public API, and nothing searchable for documents that are not there.
            await AssertSearchableAsync(Path.Combine(_work.Path, "memory.db"), committed, markers);
        }

        // The rerun skips exactly the committed documents and imports the rest.
        var final = await CliProcess.RunAsync(_work.Path, null, null, "memory", "import", "corpus", "--db", "memory.db");
        Assert.True(final.ExitCode == 0, final.StdErr);
        var lines = final.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unchanged = lines.Where(l => l.StartsWith("unchanged: ", StringComparison.Ordinal)).Select(SourceOf).ToHashSet(StringComparer.Ordinal);
        var imported = lines.Where(l => l.StartsWith("imported: ", StringComparison.Ordinal)).Select(SourceOf).ToHashSet(StringComparer.Ordinal);
        var wasCommitted = committed.Values.Select(d => d.SourceName).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(wasCommitted.Order(StringComparer.Ordinal), unchanged.Order(StringComparer.Ordinal));
        Assert.Equal(markers.Keys.Where(k => !wasCommitted.Contains(k)).Order(StringComparer.Ordinal), imported.Order(StringComparer.Ordinal));
        Assert.Equal($"{imported.Count} imported, {unchanged.Count} unchanged, 0 failed", final.StdOut.Trim());
        _output.WriteLine($"rerun: {final.StdOut.Trim()}");

        var complete = ReadSnapshot(Path.Combine(_work.Path, "memory.db"));
        Assert.Equal(FileCount, complete.Count);
        AssertConsistent(Path.Combine(_work.Path, "memory.db"), complete, expected);
        await AssertSearchableAsync(Path.Combine(_work.Path, "memory.db"), complete, markers);
    }

    /// <summary>Writes 60 Markdown files of a few KB; every sentence carries the file's unique marker word.</summary>
    private Dictionary<string, string> WriteCorpus()
    {
        string[] words = ["ledger", "harbor", "copper", "meadow", "signal", "lantern", "orchard", "granite", "velvet", "compass", "thunder", "pebble", "saffron", "quarry", "willow", "beacon"];
        var markers = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < FileCount; i++)
        {
            var name = $"note-{i:D3}.md";
            var marker = $"crashmark{i:D3}x";
            markers[name] = marker;
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"# Note {i}\n\n");
            for (var section = 0; section < 5; section++)
            {
                text.Append(CultureInfo.InvariantCulture, $"## Section {section}\n\n");
                for (var sentence = 0; sentence < 9; sentence++)
                {
                    text.Append(marker);
                    for (var w = 0; w < 11; w++)
                    {
                        text.Append(' ').Append(words[(i * 7 + section * 5 + sentence * 3 + w) % words.Length]);
                    }

                    text.Append(". ");
                }

                text.Append("\n\n");
            }

            _work.Write(Path.Combine("corpus", name), text.ToString());
        }

        return markers;
    }

    /// <summary>Starts an import and kills it (whole tree) as soon as the Nth "imported:" line arrives on stderr.</summary>
    private async Task<KilledRun> RunAndKillAsync(int killAfter)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = _work.Path,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "skagents.dll"));
        foreach (var arg in new[] { "memory", "import", "corpus", "--db", "memory.db" })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("SKAGENTS", StringComparison.OrdinalIgnoreCase) || key.StartsWith("OPENAI", StringComparison.OrdinalIgnoreCase) || key == "XDG_CONFIG_HOME")
            {
                start.Environment.Remove(key);
            }
        }

        var home = Path.Combine(_work.Path, ".home");
        Directory.CreateDirectory(home);
        start.Environment["HOME"] = home;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        var lines = new List<string>();
        var killed = false;
        var gate = new Lock();
        var stderrDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = start };
        var importedSeen = 0;

        void KillNow()
        {
            try
            {
                process.Kill(entireProcessTree: true);
                killed = true;
            }
            catch (InvalidOperationException)
            {
                // It had already exited: it finished before the kill point.
            }
        }

        Assert.True(process.Start(), "could not start skagents");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();

        // A dedicated thread (not the thread pool, which may be starved on a small machine) reads stderr line by line
        // and kills the process the moment the kill-point line arrives.
        var reader = new Thread(() =>
        {
            try
            {
                while (process.StandardError.ReadLine() is { } line)
                {
                    lock (gate)
                    {
                        lines.Add(line);
                        if (line.StartsWith("imported: ", StringComparison.Ordinal) && ++importedSeen == killAfter && !killed)
                        {
                            KillNow();
                        }
                    }
                }

                stderrDone.TrySetResult();
            }
            catch (Exception ex)
            {
                stderrDone.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "skagents stderr",
        };
        reader.Start();
        if (killAfter == 0)
        {
            lock (gate)
            {
                KillNow();
            }
        }

        using var timeout = new CancellationTokenSource(Generous);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            await stderrDone.Task.WaitAsync(timeout.Token);
            await stdout.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            string seen;
            lock (gate)
            {
                seen = string.Join('\n', lines);
            }

            throw new TimeoutException($"skagents memory import did not reach kill point {killAfter} or exit within {Generous}. stderr so far:\n{seen}");
        }

        lock (gate)
        {
            return new KilledRun(killed, process.ExitCode, [.. lines], string.Join('\n', lines));
        }
    }

    /// <summary>Reads every document with its partitions straight from SQLite (no pooling, so no handle stays open).</summary>
    private static Dictionary<string, DocumentSnapshot> ReadSnapshot(string databasePath)
    {
        var result = new Dictionary<string, DocumentSnapshot>(StringComparer.Ordinal);
        if (!File.Exists(databasePath))
        {
            return result;
        }

        using var connection = Open(databasePath);
        if (Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'documents'") == 0)
        {
            return result;
        }

        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT doc_id, source_name, content_hash, partition_count FROM documents WHERE idx = $idx";
            command.Parameters.AddWithValue("$idx", Index);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                result[reader.GetString(0)] = new DocumentSnapshot(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), []);
            }
        }

        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT doc_id, number, text, section_path FROM partitions WHERE idx = $idx ORDER BY doc_id, number";
            command.Parameters.AddWithValue("$idx", Index);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (result.TryGetValue(reader.GetString(0), out var document))
                {
                    document.Partitions.Add((reader.GetInt32(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
                }
            }
        }

        return result;
    }

    /// <summary>Checks the file and every document in it against the undisturbed reference import.</summary>
    private static void AssertConsistent(string databasePath, Dictionary<string, DocumentSnapshot> actual, Dictionary<string, DocumentSnapshot> expected)
    {
        if (!File.Exists(databasePath))
        {
            Assert.Empty(actual);
            return;
        }

        using (var connection = Open(databasePath))
        {
            Assert.Equal("ok", Text(connection, "PRAGMA integrity_check"));
            if (Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'documents'") == 0)
            {
                // Killed before the schema transaction committed: nothing at all may be there.
                Assert.Equal(0, Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"));
                Assert.Empty(actual);
                return;
            }

            Assert.Equal(0, Scalar(connection, "SELECT count(*) FROM pragma_foreign_key_check"));
            Assert.Equal(0, Scalar(connection, "SELECT count(*) FROM partitions p WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.idx = p.idx AND d.doc_id = p.doc_id)"));
            Assert.Equal(0, Scalar(connection, "SELECT count(*) FROM tags t WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.idx = t.idx AND d.doc_id = t.doc_id)"));
            Assert.Equal(
                Scalar(connection, "SELECT count(*) FROM documents"),
                Scalar(connection, $"SELECT count(*) FROM tags WHERE key = '{ReservedTags.DocumentId}' AND value = doc_id"));
            Assert.Equal(Scalar(connection, "SELECT count(*) FROM partitions"), Scalar(connection, "SELECT count(*) FROM partitions_fts"));

            // The full-text index matches its content table exactly (throws SQLITE_CORRUPT_VTAB otherwise).
            using var check = connection.CreateCommand();
            check.CommandText = "INSERT INTO partitions_fts (partitions_fts, rank) VALUES ('integrity-check', 1)";
            check.ExecuteNonQuery();
        }

        foreach (var document in actual.Values)
        {
            Assert.True(expected.TryGetValue(document.DocumentId, out var reference), $"unexpected document {document.DocumentId}");
            Assert.True(document.PartitionCount > 0, $"{document.SourceName} has no partitions");
            Assert.True(
                document.PartitionCount == document.Partitions.Count,
                $"{document.SourceName}: partition_count {document.PartitionCount} but {document.Partitions.Count} partitions stored (half-written)");
            Assert.Equal(Enumerable.Range(0, document.PartitionCount), document.Partitions.Select(p => p.Number));
            Assert.Equal(reference.SourceName, document.SourceName);
            Assert.Equal(reference.ContentHash, document.ContentHash);
            Assert.Equal(reference.PartitionCount, document.PartitionCount);
            Assert.Equal(reference.Partitions, document.Partitions);
        }
    }

    /// <summary>Opens a fresh <see cref="SqliteMemoryStore"/> and checks listing and keyword search per marker word.</summary>
    private static async Task AssertSearchableAsync(string databasePath, Dictionary<string, DocumentSnapshot> documents, Dictionary<string, string> markers)
    {
        var store = await SqliteMemoryStore.OpenAsync(new SqliteMemoryStoreOptions { DatabasePath = databasePath });
        await using (store)
        {
            var listed = new List<MemoryDocument>();
            await foreach (var document in store.ListDocumentsAsync(Index))
            {
                listed.Add(document);
            }

            Assert.Equal(documents.Keys.Order(StringComparer.Ordinal), listed.Select(d => d.DocumentId).Order(StringComparer.Ordinal));
            var bySource = documents.Values.ToDictionary(d => d.SourceName, StringComparer.Ordinal);
            foreach (var (source, marker) in markers)
            {
                var hits = await store.SearchAsync(Index, new MemoryQuery(marker) { Mode = SearchMode.Keyword, Limit = 1000 });
                if (bySource.TryGetValue(source, out var document))
                {
                    Assert.All(hits, h => Assert.Equal(document.DocumentId, h.Document.DocumentId));
                    Assert.Equal(document.PartitionCount, hits.Select(h => h.Partition.PartitionNumber).Distinct().Count());
                    Assert.All(hits, h => Assert.Equal(document.PartitionCount, h.Document.PartitionCount));
                }
                else
                {
                    Assert.Empty(hits);
                }
            }
        }

        SqliteConnection.ClearAllPools();
    }

    private static SqliteConnection Open(string databasePath)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static string? Text(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() as string;
    }

    /// <summary>"imported: corpus/note-007.md (3 partitions)" → "note-007.md".</summary>
    private static string SourceOf(string line)
    {
        var path = line[(line.IndexOf(": ", StringComparison.Ordinal) + 2)..line.LastIndexOf(" (", StringComparison.Ordinal)];
        return Path.GetFileName(path);
    }

    private sealed record KilledRun(bool Killed, int ExitCode, IReadOnlyList<string> Lines, string StdErr);

    private sealed record DocumentSnapshot(string DocumentId, string SourceName, string ContentHash, int PartitionCount, List<(int Number, string Text, string? Section)> Partitions);
}
