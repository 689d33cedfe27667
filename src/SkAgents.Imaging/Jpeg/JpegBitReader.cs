namespace SkAgents.Imaging.Jpeg;

/// <summary>Reads entropy-coded bits: removes stuffed zero bytes after 0xFF, stops at markers (then feeds zero bits), notes the end of the data.</summary>
internal sealed class JpegBitReader
{
    private readonly byte[] _data;
    private ulong _buffer;
    private int _bits;
    private bool _atMarker;

    public JpegBitReader(byte[] data, int position)
    {
        _data = data;
        Position = position;
    }

    /// <summary>Gets the byte offset of the next unread byte.</summary>
    public int Position { get; private set; }

    /// <summary>Gets a value indicating whether the data ended inside the entropy-coded segment (no marker followed it).</summary>
    public bool HitEnd { get; private set; }

    private void Fill()
    {
        while (_bits <= 56)
        {
            int b = 0;
            if (!_atMarker)
            {
                if (Position >= _data.Length)
                {
                    HitEnd = true;
                    _atMarker = true;
                }
                else
                {
                    b = _data[Position];
                    if (b == 0xFF)
                    {
                        if (Position + 1 >= _data.Length)
                        {
                            HitEnd = true;
                            _atMarker = true;
                            b = 0;
                        }
                        else if (_data[Position + 1] == 0x00)
                        {
                            Position += 2;
                        }
                        else
                        {
                            _atMarker = true;
                            b = 0;
                        }
                    }
                    else
                    {
                        Position++;
                    }
                }
            }

            _buffer = (_buffer << 8) | (uint)b;
            _bits += 8;
        }
    }

    public int Peek16()
    {
        if (_bits < 16)
        {
            Fill();
        }

        return (int)(_buffer >> (_bits - 16)) & 0xFFFF;
    }

    public void Skip(int n) => _bits -= n;

    public int GetBits(int n)
    {
        if (n == 0)
        {
            return 0;
        }

        if (_bits < n)
        {
            Fill();
        }

        _bits -= n;
        return (int)(_buffer >> _bits) & ((1 << n) - 1);
    }

    public int GetBit()
    {
        if (_bits < 1)
        {
            Fill();
        }

        _bits--;
        return (int)(_buffer >> _bits) & 1;
    }

    /// <summary>Reads s bits and sign-extends them (T.81 F.2.2.1 EXTEND).</summary>
    public int ReceiveExtend(int s)
    {
        if (s == 0)
        {
            return 0;
        }

        if (s > 16)
        {
            throw new ImageDecodingException($"Corrupt JPEG data: a coefficient magnitude category of {s} bits at byte offset {Position}.");
        }

        var v = GetBits(s);
        return v < (1 << (s - 1)) ? v - (1 << s) + 1 : v;
    }

    /// <summary>Drops buffered bits and moves to the next marker (skipping any extraneous bytes), leaving <see cref="Position"/> on its 0xFF.</summary>
    public void ResetToMarker()
    {
        _buffer = 0;
        _bits = 0;
        _atMarker = false;
        while (Position < _data.Length)
        {
            if (_data[Position] == 0xFF && Position + 1 < _data.Length && _data[Position + 1] != 0x00 && _data[Position + 1] != 0xFF)
            {
                return;
            }

            if (_data[Position] == 0xFF && Position + 1 >= _data.Length)
            {
                break;
            }

            Position++;
        }

        HitEnd = true;
        Position = _data.Length;
    }

    /// <summary>After <see cref="ResetToMarker"/>, consumes an RSTn marker; returns its number, or -1 when the marker there is not RSTn.</summary>
    public int TryReadRestartMarker()
    {
        if (Position + 1 < _data.Length && _data[Position] == 0xFF && _data[Position + 1] is >= 0xD0 and <= 0xD7)
        {
            var n = _data[Position + 1] - 0xD0;
            Position += 2;
            return n;
        }

        return -1;
    }
}
