namespace SkAgents.Imaging;

/// <summary>The CRC-32 of PNG chunks (ISO 3309 / ITU-T V.42 polynomial 0xEDB88320, reflected), table driven.</summary>
internal static class PngCrc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>Continues a CRC over more bytes; start with <c>0xFFFFFFFF</c> and finish with <see cref="Finish"/>.</summary>
    /// <param name="crc">The running register.</param>
    /// <param name="data">The bytes.</param>
    /// <returns>The updated register.</returns>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        var table = Table;
        foreach (var b in data)
        {
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc;
    }

    /// <summary>Finishes a running register into the CRC value.</summary>
    /// <param name="crc">The running register.</param>
    /// <returns>The CRC.</returns>
    public static uint Finish(uint crc) => crc ^ 0xFFFFFFFFu;

    /// <summary>Computes the CRC of one buffer.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The CRC.</returns>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(0xFFFFFFFFu, data));

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
