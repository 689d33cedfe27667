namespace SkAgents.Imaging.Jpeg;

/// <summary>A Huffman table from a DHT segment, with a 9-bit fast lookup and the canonical slow path (ITU-T T.81 annex C, F.2.2.3).</summary>
internal sealed class JpegHuffmanTable
{
    internal const int FastBits = 9;

    private readonly int[] _maxCode = new int[18];
    private readonly int[] _valOffset = new int[18];
    private readonly byte[] _values;

    /// <summary>Fast lookup: (length &lt;&lt; 8) | value, or 0 when the code is longer than <see cref="FastBits"/>.</summary>
    private readonly ushort[] _fast = new ushort[1 << FastBits];

    public JpegHuffmanTable(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values, string where)
    {
        _values = values.ToArray();
        var code = 0;
        var k = 0;
        for (var length = 1; length <= 16; length++)
        {
            var n = counts[length - 1];
            _valOffset[length] = k - code;
            if (n > 0)
            {
                if (code + n > (1 << length))
                {
                    throw new ImageDecodingException($"The Huffman table in {where} is invalid: it has more codes of length {length} than fit in {length} bits.");
                }

                for (var i = 0; i < n; i++)
                {
                    if (length <= FastBits)
                    {
                        var shift = FastBits - length;
                        var first = code << shift;
                        for (var j = 0; j < (1 << shift); j++)
                        {
                            _fast[first + j] = (ushort)((length << 8) | _values[k]);
                        }
                    }

                    code++;
                    k++;
                }

                _maxCode[length] = code - 1;
            }
            else
            {
                _maxCode[length] = -1;
            }

            code <<= 1;
        }

        _maxCode[17] = int.MaxValue;
    }

    /// <summary>Decodes one symbol.</summary>
    public int Decode(JpegBitReader reader)
    {
        var peek = reader.Peek16();
        var fast = _fast[peek >> (16 - FastBits)];
        if (fast != 0)
        {
            reader.Skip(fast >> 8);
            return fast & 0xFF;
        }

        for (var length = FastBits + 1; length <= 16; length++)
        {
            var c = peek >> (16 - length);
            if (c <= _maxCode[length])
            {
                reader.Skip(length);
                var index = _valOffset[length] + c;
                if ((uint)index >= (uint)_values.Length)
                {
                    break;
                }

                return _values[index];
            }
        }

        throw new ImageDecodingException($"Corrupt JPEG data: an invalid Huffman code at byte offset {reader.Position} of the scan data.");
    }
}
