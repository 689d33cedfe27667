using SkAgents.Web;

namespace SkAgents.Memory.Extraction;

/// <summary>Size-capped reading and charset detection.</summary>
internal static class ExtractionInput
{
    public static async Task<byte[]> ReadAllAsync(Stream stream, string fileName, long maxBytes, CancellationToken cancellationToken)
    {
        if (stream.CanSeek)
        {
            var remaining = stream.Length - stream.Position;
            if (remaining > maxBytes)
            {
                throw new DocumentTooLargeException(fileName, maxBytes, remaining);
            }
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk.AsMemory(), cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new DocumentTooLargeException(fileName, maxBytes, null);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Decodes text: byte order mark, then a declared charset, then UTF-16 without BOM (zero-byte pattern),
    /// then strict UTF-8, falling back to Windows-1252 (see <see cref="WebTextDecoder"/>).
    /// </summary>
    public static string Decode(byte[] bytes, string? declaredCharset = null) => WebTextDecoder.Decode(bytes, declaredCharset).Text;
}
