using System.Globalization;

namespace SkAgents.Imaging.Jpeg;

/// <summary>Parses the marker structure of one JPEG file and decodes its scans into coefficients.</summary>
internal sealed class JpegReader
{
    private readonly byte[] _data;
    private readonly ImageDecoderOptions _options;
    private readonly ushort[]?[] _quant = new ushort[4][];
    private readonly JpegHuffmanTable?[] _dcTables = new JpegHuffmanTable[4];
    private readonly JpegHuffmanTable?[] _acTables = new JpegHuffmanTable[4];
    private readonly int[] _workspace = new int[64];
    private readonly short[] _block = new short[64];
    private JpegComponent[] _components = [];
    private int _width;
    private int _height;
    private bool _progressive;
    private int _hMax;
    private int _vMax;
    private int _mcusPerLine;
    private int _mcusPerColumn;
    private int _restartInterval;
    private int _scanCount;
    private bool _sawJfif;
    private int _adobeTransform = -1;
    private int _orientation = 1;
    private int _eobRun;

    public JpegReader(byte[] data, ImageDecoderOptions options)
    {
        _data = data;
        _options = options;
    }

    internal static string DescribeSignature(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0)
        {
            return "The data is empty, not a JPEG file.";
        }

        var head = data[..Math.Min(8, data.Length)];
        var hex = Convert.ToHexString(head);
        var spaced = string.Join(' ', Enumerable.Range(0, head.Length).Select(i => hex.Substring(i * 2, 2)));
        string? looksLike = null;
        if (data.Length >= 4 && data[0] == 0x89 && data[1] == (byte)'P' && data[2] == (byte)'N' && data[3] == (byte)'G')
        {
            looksLike = "PNG";
        }
        else if (data.StartsWith("GIF8"u8))
        {
            looksLike = "GIF";
        }
        else if (data.StartsWith("BM"u8))
        {
            looksLike = "BMP";
        }
        else if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8))
        {
            looksLike = "WebP";
        }
        else if (data.StartsWith("II*\0"u8) || data.StartsWith("MM\0*"u8))
        {
            looksLike = "TIFF";
        }
        else if (data.Length >= 2 && data[0] == 0xFF && data[1] == 0xD8)
        {
            looksLike = "a JPEG SOI marker without a following marker";
        }

        return looksLike is null
            ? $"The data is not a JPEG file: it does not start with the SOI marker FF D8 FF (it starts with {spaced})."
            : $"The data is not a JPEG file: it does not start with the SOI marker FF D8 FF (it starts with {spaced}, which looks like {looksLike}).";
    }

    public DecodedImage Decode()
    {
        var pos = 2;
        var frameSeen = false;
        while (true)
        {
            // Find the next marker: skip fill bytes (0xFF) before it; tolerate stray bytes between segments.
            while (pos < _data.Length && _data[pos] != 0xFF)
            {
                pos++;
            }

            while (pos < _data.Length && _data[pos] == 0xFF)
            {
                pos++;
            }

            if (pos >= _data.Length)
            {
                var after = _scanCount > 0 ? $"after scan {_scanCount} (SOS)" : frameSeen ? "after the frame header (SOF) without any scan (SOS)" : "before any frame header (SOF)";
                throw new TruncatedImageException($"The JPEG data ends {after} without an EOI marker (at byte {_data.Length}).");
            }

            var marker = _data[pos];
            var markerOffset = pos - 1;
            pos++;
            switch (marker)
            {
                case 0xD8: // SOI again
                case >= 0xD0 and <= 0xD7: // stray RSTn
                case 0x01: // TEM
                    continue;
                case 0xD9: // EOI
                    if (!frameSeen)
                    {
                        throw new ImageDecodingException("The JPEG file has an EOI marker but no frame header (SOF).");
                    }

                    if (_scanCount == 0)
                    {
                        throw new ImageDecodingException("The JPEG file has a frame header (SOF) but no scan (SOS) before its EOI marker.");
                    }

                    return Finish();
            }

            var segment = ReadSegment(pos, marker, markerOffset);
            switch (marker)
            {
                case 0xC0:
                case 0xC1:
                case 0xC2:
                    if (frameSeen)
                    {
                        throw new ImageDecodingException($"The JPEG file has a second frame header ({MarkerName(marker)}) at byte {markerOffset}.");
                    }

                    ParseFrame(segment, marker);
                    frameSeen = true;
                    break;
                case 0xC3 or 0xC5 or 0xC6 or 0xC7 or 0xC9 or 0xCA or 0xCB or 0xCD or 0xCE or 0xCF:
                    throw new UnsupportedImageFormatException($"The JPEG file uses the {MarkerName(marker)} process, which this decoder does not support (only baseline SOF0, extended sequential SOF1 and progressive SOF2 with Huffman coding).");
                case 0xC4:
                    ParseHuffmanTables(segment, markerOffset);
                    break;
                case 0xDB:
                    ParseQuantTables(segment, markerOffset);
                    break;
                case 0xDD:
                    if (segment.Length < 2)
                    {
                        throw new ImageDecodingException($"The DRI segment at byte {markerOffset} is {segment.Length} bytes long; it must be 2.");
                    }

                    _restartInterval = (segment[0] << 8) | segment[1];
                    break;
                case 0xDA:
                    if (!frameSeen)
                    {
                        throw new ImageDecodingException($"The JPEG file has a scan (SOS at byte {markerOffset}) before any frame header (SOF).");
                    }

                    pos = DecodeScan(segment, markerOffset, pos + segment.Length + 2);
                    continue;
                case 0xDC:
                    throw new UnsupportedImageFormatException($"The JPEG file has a DNL marker at byte {markerOffset} (the image height is defined after the first scan), which this decoder does not support.");
                case 0xE0:
                    if (segment.Length >= 5 && segment[..5].SequenceEqual("JFIF\0"u8))
                    {
                        _sawJfif = true;
                    }

                    break;
                case 0xE1:
                    if (segment.Length >= 6 && segment[..6].SequenceEqual("Exif\0\0"u8))
                    {
                        _orientation = JpegExif.ReadOrientation(segment[6..]);
                    }

                    break;
                case 0xEE:
                    if (segment.Length >= 12 && segment[..5].SequenceEqual("Adobe"u8))
                    {
                        _adobeTransform = segment[11];
                    }

                    break;
                default:
                    // APPn, COM, DAC, JPGn and other segments with a length: skipped.
                    break;
            }

            pos += segment.Length + 2;
        }
    }

    private ReadOnlySpan<byte> ReadSegment(int pos, byte marker, int markerOffset)
    {
        if (pos + 2 > _data.Length)
        {
            throw new TruncatedImageException($"The JPEG data ends inside the length of the {MarkerName(marker)} segment at byte {markerOffset}.");
        }

        var length = (_data[pos] << 8) | _data[pos + 1];
        if (length < 2)
        {
            throw new ImageDecodingException($"The {MarkerName(marker)} segment at byte {markerOffset} declares an invalid length of {length}.");
        }

        if (pos + length > _data.Length)
        {
            throw new TruncatedImageException($"The {MarkerName(marker)} segment at byte {markerOffset} declares {length} bytes, but the data ends {_data.Length - pos} bytes after its start.");
        }

        return _data.AsSpan(pos + 2, length - 2);
    }

    internal static string MarkerName(byte marker) => marker switch
    {
        0xC0 => "SOF0 (baseline)",
        0xC1 => "SOF1 (extended sequential, Huffman)",
        0xC2 => "SOF2 (progressive, Huffman)",
        0xC3 => "SOF3 (lossless, Huffman)",
        0xC5 => "SOF5 (differential sequential, Huffman)",
        0xC6 => "SOF6 (differential progressive, Huffman)",
        0xC7 => "SOF7 (differential lossless, Huffman)",
        0xC9 => "SOF9 (extended sequential, arithmetic coding)",
        0xCA => "SOF10 (progressive, arithmetic coding)",
        0xCB => "SOF11 (lossless, arithmetic coding)",
        0xCD => "SOF13 (differential sequential, arithmetic coding)",
        0xCE => "SOF14 (differential progressive, arithmetic coding)",
        0xCF => "SOF15 (differential lossless, arithmetic coding)",
        0xC4 => "DHT",
        0xCC => "DAC",
        0xDA => "SOS",
        0xDB => "DQT",
        0xDC => "DNL",
        0xDD => "DRI",
        0xFE => "COM",
        >= 0xE0 and <= 0xEF => "APP" + (marker - 0xE0).ToString(CultureInfo.InvariantCulture),
        _ => "marker 0x" + marker.ToString("X2", CultureInfo.InvariantCulture),
    };

    private void ParseFrame(ReadOnlySpan<byte> s, byte marker)
    {
        var name = MarkerName(marker);
        if (s.Length < 6)
        {
            throw new ImageDecodingException($"The {name} frame header is {s.Length} bytes long, too short.");
        }

        var precision = s[0];
        if (precision != 8)
        {
            throw new UnsupportedImageFormatException($"The JPEG frame ({name}) has {precision}-bit sample precision; only 8-bit JPEG is supported.");
        }

        _height = (s[1] << 8) | s[2];
        _width = (s[3] << 8) | s[4];
        var count = s[5];
        if (_height == 0)
        {
            throw new UnsupportedImageFormatException($"The JPEG frame ({name}) declares a height of 0 (height defined by a DNL marker), which this decoder does not support.");
        }

        if (_width == 0)
        {
            throw new ImageDecodingException($"The JPEG frame ({name}) declares a width of 0.");
        }

        if ((long)_width * _height > _options.MaxPixels)
        {
            throw new ImageTooLargeException(_width, _height, _options.MaxPixels);
        }

        if (count is not (1 or 3 or 4))
        {
            throw new UnsupportedImageFormatException($"The JPEG frame ({name}) has {count} components; only 1 (greyscale), 3 (YCbCr/RGB) and 4 (CMYK/YCCK) are supported.");
        }

        if (s.Length < 6 + (count * 3))
        {
            throw new ImageDecodingException($"The {name} frame header declares {count} components but is only {s.Length} bytes long.");
        }

        _progressive = marker == 0xC2;
        _components = new JpegComponent[count];
        for (var i = 0; i < count; i++)
        {
            var id = s[6 + (i * 3)];
            var h = s[7 + (i * 3)] >> 4;
            var v = s[7 + (i * 3)] & 15;
            var tq = s[8 + (i * 3)];
            if (h is < 1 or > 4 || v is < 1 or > 4)
            {
                throw new ImageDecodingException($"JPEG component {id} has invalid sampling factors {h}×{v} (each must be 1 to 4).");
            }

            if (tq > 3)
            {
                throw new ImageDecodingException($"JPEG component {id} refers to quantisation table {tq}; tables are numbered 0 to 3.");
            }

            for (var j = 0; j < i; j++)
            {
                if (_components[j].Id == id)
                {
                    throw new ImageDecodingException($"The JPEG frame has two components with the same id {id}.");
                }
            }

            _components[i] = new JpegComponent(id, h, v, tq);
        }

        _hMax = _components.Max(c => c.H);
        _vMax = _components.Max(c => c.V);
        var blocks = 0;
        foreach (var c in _components)
        {
            if (_hMax % c.H != 0 || _vMax % c.V != 0)
            {
                throw new UnsupportedImageFormatException($"JPEG component {c.Id} has sampling factors {c.H}×{c.V} that do not divide the maximum {_hMax}×{_vMax} (fractional sampling is not supported).");
            }

            blocks += c.H * c.V;
        }

        if (count > 1 && blocks > 10)
        {
            throw new ImageDecodingException($"The JPEG frame's sampling factors need {blocks} blocks per MCU; the standard allows at most 10.");
        }

        _mcusPerLine = (_width + (8 * _hMax) - 1) / (8 * _hMax);
        _mcusPerColumn = (_height + (8 * _vMax) - 1) / (8 * _vMax);

        foreach (var c in _components)
        {
            c.Width = (int)(((long)_width * c.H + _hMax - 1) / _hMax);
            c.Height = (int)(((long)_height * c.V + _vMax - 1) / _vMax);
            c.BlocksPerLine = (c.Width + 7) / 8;
            c.BlocksPerColumn = (c.Height + 7) / 8;
            c.StorageBlocksPerLine = _mcusPerLine * c.H;
            c.StorageBlocksPerColumn = _mcusPerColumn * c.V;
        }

        // The sizes above were checked against MaxPixels; allocate only now. Progressive frames keep every coefficient
        // until the last scan; sequential frames are transformed block by block straight into samples.
        foreach (var c in _components)
        {
            if (_progressive)
            {
                c.Coefficients = new short[(long)c.StorageBlocksPerLine * c.StorageBlocksPerColumn * 64];
            }
            else
            {
                c.Samples = new byte[(long)c.StorageBlocksPerLine * c.StorageBlocksPerColumn * 64];
            }
        }
    }

    private void ParseQuantTables(ReadOnlySpan<byte> s, int markerOffset)
    {
        var p = 0;
        while (p < s.Length)
        {
            var pq = s[p] >> 4;
            var tq = s[p] & 15;
            p++;
            if (pq > 1 || tq > 3)
            {
                throw new ImageDecodingException($"The DQT segment at byte {markerOffset} defines table {tq} with precision code {pq}; tables are 0 to 3 with precision 0 (8-bit) or 1 (16-bit).");
            }

            var size = pq == 0 ? 64 : 128;
            if (p + size > s.Length)
            {
                throw new ImageDecodingException($"The DQT segment at byte {markerOffset} is too short for its table {tq}.");
            }

            var table = new ushort[64];
            var zz = JpegIdct.ZigZag;
            for (var k = 0; k < 64; k++)
            {
                table[zz[k]] = pq == 0 ? s[p + k] : (ushort)((s[p + (2 * k)] << 8) | s[p + (2 * k) + 1]);
            }

            p += size;
            _quant[tq] = table;
        }
    }

    private void ParseHuffmanTables(ReadOnlySpan<byte> s, int markerOffset)
    {
        var p = 0;
        while (p < s.Length)
        {
            var tc = s[p] >> 4;
            var th = s[p] & 15;
            if (tc > 1 || th > 3)
            {
                throw new ImageDecodingException($"The DHT segment at byte {markerOffset} defines a table of class {tc}, number {th}; class must be 0 (DC) or 1 (AC) and number 0 to 3.");
            }

            if (p + 17 > s.Length)
            {
                throw new ImageDecodingException($"The DHT segment at byte {markerOffset} is too short for its code-length counts.");
            }

            var counts = s.Slice(p + 1, 16);
            var total = 0;
            foreach (var n in counts)
            {
                total += n;
            }

            if (total > 256 || p + 17 + total > s.Length)
            {
                throw new ImageDecodingException($"The DHT segment at byte {markerOffset} declares {total} Huffman values, more than it holds.");
            }

            var table = new JpegHuffmanTable(counts, s.Slice(p + 17, total), $"the DHT segment at byte {markerOffset}");
            if (tc == 0)
            {
                _dcTables[th] = table;
            }
            else
            {
                _acTables[th] = table;
            }

            p += 17 + total;
        }
    }

    private int DecodeScan(ReadOnlySpan<byte> s, int markerOffset, int dataStart)
    {
        _scanCount++;
        var where = $"scan {_scanCount} (SOS at byte {markerOffset})";
        if (s.Length < 1)
        {
            throw new ImageDecodingException($"The header of {where} is empty.");
        }

        var ns = s[0];
        if (ns is < 1 or > 4 || s.Length < 1 + (ns * 2) + 3)
        {
            throw new ImageDecodingException($"The header of {where} declares {ns} components but is {s.Length} bytes long.");
        }

        var scanComponents = new JpegComponent[ns];
        for (var i = 0; i < ns; i++)
        {
            var id = s[1 + (i * 2)];
            var table = s[2 + (i * 2)];
            var component = Array.Find(_components, c => c.Id == id)
                ?? throw new ImageDecodingException($"The {where} refers to component id {id}, which the frame does not define (ids: {string.Join(", ", _components.Select(c => c.Id))}).");
            if (Array.IndexOf(scanComponents, component) >= 0)
            {
                throw new ImageDecodingException($"The {where} lists component id {id} twice.");
            }

            scanComponents[i] = component;
            var td = table >> 4;
            var ta = table & 15;
            component.DcTable = td < 4 ? _dcTables[td] : null;
            component.AcTable = ta < 4 ? _acTables[ta] : null;
            var q = _quant[component.QuantTable];
            if (component.Quant is null)
            {
                component.Quant = q ?? throw new ImageDecodingException($"JPEG component {id} uses quantisation table {component.QuantTable}, which no DQT segment defined before {where}.");
            }

            if (ns > 1 && (component.H * component.V) > 10)
            {
                throw new ImageDecodingException($"The {where} interleaves component {id} with sampling factors {component.H}×{component.V}, too many blocks per MCU.");
            }
        }

        var ss = s[1 + (ns * 2)];
        var se = s[2 + (ns * 2)];
        var ah = s[3 + (ns * 2)] >> 4;
        var al = s[3 + (ns * 2)] & 15;

        if (_progressive)
        {
            if (ss > 63 || se > 63 || ss > se || ah > 13 || al > 13 || (ss == 0 && se != 0) || (ss > 0 && ns != 1))
            {
                throw new ImageDecodingException($"The {where} has invalid progressive parameters Ss={ss}, Se={se}, Ah={ah}, Al={al}.");
            }
        }
        else if (ss != 0 || se != 63 || ah != 0 || al != 0)
        {
            // Sequential scans must cover 0..63; be lenient like the reference decoder, which ignores these fields.
            ss = 0;
            se = 63;
            ah = 0;
            al = 0;
        }

        foreach (var c in scanComponents)
        {
            // DC refinement scans (progressive, Ss = 0, Ah > 0) read raw bits and need no DC table.
            if (ss == 0 && ah == 0 && c.DcTable is null)
            {
                throw new ImageDecodingException($"The {where} uses a DC Huffman table for component {c.Id} that no DHT segment defined.");
            }

            if ((se > 0 || !_progressive) && c.AcTable is null)
            {
                throw new ImageDecodingException($"The {where} uses an AC Huffman table for component {c.Id} that no DHT segment defined.");
            }

            c.DcPredictor = 0;
        }

        _eobRun = 0;
        var reader = new JpegBitReader(_data, dataStart);
        try
        {
            if (ns == 1)
            {
                DecodeNonInterleaved(reader, scanComponents[0], ss, se, ah, al, where);
            }
            else
            {
                DecodeInterleaved(reader, scanComponents, ss, se, ah, al, where);
            }
        }
        catch (TruncatedImageException)
        {
            throw;
        }
        catch (ImageDecodingException) when (reader.HitEnd)
        {
            throw new TruncatedImageException($"The JPEG data ends inside the entropy-coded data of {where}.");
        }

        if (reader.HitEnd)
        {
            throw new TruncatedImageException($"The JPEG data ends inside or right after the last MCU row of the entropy-coded data of {where}, without an EOI marker.");
        }

        reader.ResetToMarker();
        if (reader.HitEnd)
        {
            throw new TruncatedImageException($"The JPEG data ends after the entropy-coded data of {where}, without an EOI marker.");
        }

        return reader.Position;
    }

    private void DecodeNonInterleaved(JpegBitReader reader, JpegComponent c, int ss, int se, int ah, int al, string where)
    {
        var total = c.BlocksPerLine * c.BlocksPerColumn;
        var n = 0;
        var expectedRst = 0;
        for (var row = 0; row < c.BlocksPerColumn; row++)
        {
            for (var col = 0; col < c.BlocksPerLine; col++)
            {
                if (_restartInterval > 0 && n > 0 && n % _restartInterval == 0)
                {
                    Restart(reader, ref expectedRst, where, n, total);
                }

                DecodeBlockAt(reader, c, row, col, ss, se, ah, al);
                n++;
            }

            if (reader.HitEnd && row < c.BlocksPerColumn - 1)
            {
                throw new TruncatedImageException($"The JPEG data ends inside the entropy-coded data of {where}, at block row {row + 1} of {c.BlocksPerColumn}.");
            }
        }
    }

    private void DecodeInterleaved(JpegBitReader reader, JpegComponent[] components, int ss, int se, int ah, int al, string where)
    {
        var total = _mcusPerLine * _mcusPerColumn;
        var n = 0;
        var expectedRst = 0;
        for (var my = 0; my < _mcusPerColumn; my++)
        {
            for (var mx = 0; mx < _mcusPerLine; mx++)
            {
                if (_restartInterval > 0 && n > 0 && n % _restartInterval == 0)
                {
                    Restart(reader, ref expectedRst, where, n, total);
                }

                foreach (var c in components)
                {
                    for (var by = 0; by < c.V; by++)
                    {
                        var row = (my * c.V) + by;
                        for (var bx = 0; bx < c.H; bx++)
                        {
                            var col = (mx * c.H) + bx;
                            DecodeBlockAt(reader, c, row, col, ss, se, ah, al);
                        }
                    }
                }

                n++;
            }

            if (reader.HitEnd && my < _mcusPerColumn - 1)
            {
                throw new TruncatedImageException($"The JPEG data ends inside the entropy-coded data of {where}, at MCU row {my + 1} of {_mcusPerColumn}.");
            }
        }
    }

    private void Restart(JpegBitReader reader, ref int expectedRst, string where, int done, int total)
    {
        reader.ResetToMarker();
        if (reader.HitEnd)
        {
            throw new TruncatedImageException($"The JPEG data ends inside the entropy-coded data of {where}, after {done} of {total} MCUs.");
        }

        var rst = reader.TryReadRestartMarker();
        if (rst < 0)
        {
            throw new ImageDecodingException($"Corrupt JPEG data: {where} expected the restart marker RST{expectedRst} after {done} of {total} MCUs at byte {reader.Position}, but found another marker.");
        }

        if (rst != expectedRst)
        {
            throw new ImageDecodingException($"Corrupt JPEG data: {where} expected the restart marker RST{expectedRst} after {done} of {total} MCUs but found RST{rst}.");
        }

        expectedRst = (expectedRst + 1) & 7;
        foreach (var c in _components)
        {
            c.DcPredictor = 0;
        }

        _eobRun = 0;
    }

    private void DecodeBlockAt(JpegBitReader reader, JpegComponent c, int row, int col, int ss, int se, int ah, int al)
    {
        if (_progressive)
        {
            DecodeBlock(reader, c, c.Coefficients.AsSpan(((row * c.StorageBlocksPerLine) + col) * 64, 64), ss, se, ah, al);
            return;
        }

        Array.Clear(_block);
        DecodeBlock(reader, c, _block, ss, se, ah, al);
        var stride = c.StorageBlocksPerLine * 8;
        JpegIdct.Transform(_block, c.Quant!, _workspace, c.Samples, (row * 8 * stride) + (col * 8), stride);
    }

    private void DecodeBlock(JpegBitReader reader, JpegComponent c, Span<short> block, int ss, int se, int ah, int al)
    {
        var zz = JpegIdct.ZigZag;
        if (!_progressive)
        {
            var t = c.DcTable!.Decode(reader);
            c.DcPredictor += reader.ReceiveExtend(t);
            block[0] = (short)c.DcPredictor;
            var ac = c.AcTable!;
            for (var k = 1; k < 64;)
            {
                var rs = ac.Decode(reader);
                var r = rs >> 4;
                var sz = rs & 15;
                if (sz == 0)
                {
                    if (r != 15)
                    {
                        break;
                    }

                    k += 16;
                    continue;
                }

                k += r;
                if (k > 63)
                {
                    throw new ImageDecodingException($"Corrupt JPEG data: an AC coefficient index past 63 near byte {reader.Position}.");
                }

                block[zz[k]] = (short)reader.ReceiveExtend(sz);
                k++;
            }

            return;
        }

        if (ss == 0)
        {
            if (ah == 0)
            {
                var t = c.DcTable!.Decode(reader);
                c.DcPredictor += reader.ReceiveExtend(t);
                block[0] = (short)(c.DcPredictor * (1 << al));
            }
            else if (reader.GetBit() != 0)
            {
                block[0] |= (short)(1 << al);
            }

            return;
        }

        if (ah == 0)
        {
            DecodeAcFirst(reader, c.AcTable!, block, ss, se, al);
        }
        else
        {
            DecodeAcRefine(reader, c.AcTable!, block, ss, se, al);
        }
    }

    private void DecodeAcFirst(JpegBitReader reader, JpegHuffmanTable ac, Span<short> block, int ss, int se, int al)
    {
        if (_eobRun > 0)
        {
            _eobRun--;
            return;
        }

        var zz = JpegIdct.ZigZag;
        for (var k = ss; k <= se;)
        {
            var rs = ac.Decode(reader);
            var r = rs >> 4;
            var s = rs & 15;
            if (s == 0)
            {
                if (r < 15)
                {
                    _eobRun = (1 << r) - 1;
                    if (r > 0)
                    {
                        _eobRun += reader.GetBits(r);
                    }

                    break;
                }

                k += 16;
                continue;
            }

            k += r;
            if (k > 63)
            {
                throw new ImageDecodingException($"Corrupt JPEG data: an AC coefficient index past 63 near byte {reader.Position}.");
            }

            block[zz[k]] = (short)(reader.ReceiveExtend(s) * (1 << al));
            k++;
        }
    }

    private void DecodeAcRefine(JpegBitReader reader, JpegHuffmanTable ac, Span<short> block, int ss, int se, int al)
    {
        var zz = JpegIdct.ZigZag;
        var p1 = 1 << al;
        var m1 = -1 << al;
        var k = ss;
        if (_eobRun == 0)
        {
            for (; k <= se; k++)
            {
                var rs = ac.Decode(reader);
                var r = rs >> 4;
                var s = rs & 15;
                var value = 0;
                if (s != 0)
                {
                    if (s != 1)
                    {
                        throw new ImageDecodingException($"Corrupt JPEG data: a refinement scan coded a coefficient of {s} bits (must be 1) near byte {reader.Position}.");
                    }

                    value = reader.GetBit() != 0 ? p1 : m1;
                }
                else if (r != 15)
                {
                    _eobRun = 1 << r;
                    if (r > 0)
                    {
                        _eobRun += reader.GetBits(r);
                    }

                    break;
                }

                while (k <= se)
                {
                    var z = zz[k];
                    if (block[z] != 0)
                    {
                        RefineBit(reader, block, z, p1, m1);
                    }
                    else
                    {
                        if (r == 0)
                        {
                            break;
                        }

                        r--;
                    }

                    k++;
                }

                if (value != 0 && k <= 63)
                {
                    block[zz[k]] = (short)value;
                }
            }
        }

        if (_eobRun > 0)
        {
            for (; k <= se; k++)
            {
                var z = zz[k];
                if (block[z] != 0)
                {
                    RefineBit(reader, block, z, p1, m1);
                }
            }

            _eobRun--;
        }
    }

    private static void RefineBit(JpegBitReader reader, Span<short> block, int z, int p1, int m1)
    {
        if (reader.GetBit() != 0 && (block[z] & p1) == 0)
        {
            block[z] = (short)(block[z] >= 0 ? block[z] + p1 : block[z] + m1);
        }
    }

    private DecodedImage Finish()
    {
        var planes = new byte[_components.Length][];
        var workspace = _workspace;
        for (var i = 0; i < _components.Length; i++)
        {
            var c = _components[i];
            if (c.Quant is null)
            {
                throw new ImageDecodingException($"JPEG component {c.Id} never appeared in any scan.");
            }

            if (!_progressive)
            {
                planes[i] = c.Samples;
                c.Samples = [];
                continue;
            }

            var stride = c.StorageBlocksPerLine * 8;
            var plane = new byte[(long)stride * c.StorageBlocksPerColumn * 8];
            for (var by = 0; by < c.BlocksPerColumn; by++)
            {
                for (var bx = 0; bx < c.BlocksPerLine; bx++)
                {
                    var offset = ((by * c.StorageBlocksPerLine) + bx) * 64;
                    JpegIdct.Transform(c.Coefficients.AsSpan(offset, 64), c.Quant, workspace, plane, (by * 8 * stride) + (bx * 8), stride);
                }
            }

            c.Coefficients = [];
            planes[i] = plane;
        }

        var rgba = JpegColor.ToRgba(_components, planes, _width, _height, _hMax, _vMax, ColorSpace());
        var image = new DecodedImage(_width, _height, rgba, "jpeg");
        return _options.ApplyExifOrientation && _orientation != 1 ? JpegExif.Orient(image, _orientation) : image;
    }

    private JpegColorSpace ColorSpace()
    {
        switch (_components.Length)
        {
            case 1:
                return JpegColorSpace.Grey;
            case 3:
                if (_sawJfif)
                {
                    return JpegColorSpace.YCbCr;
                }

                if (_adobeTransform >= 0)
                {
                    return _adobeTransform == 0 ? JpegColorSpace.Rgb : JpegColorSpace.YCbCr;
                }

                return _components[0].Id == 'R' && _components[1].Id == 'G' && _components[2].Id == 'B' ? JpegColorSpace.Rgb : JpegColorSpace.YCbCr;
            default:
                return _adobeTransform == 2 ? JpegColorSpace.Ycck : JpegColorSpace.Cmyk;
        }
    }
}
