using SkAgents.Imaging;

namespace SkAgents.Imaging.Tests;

public class JpegErrorTests
{
    [Fact]
    public void A_png_signature_is_not_a_jpeg()
    {
        byte[] png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];

        var ex = Assert.Throws<UnsupportedImageFormatException>(() => JpegDecoder.Decode(png));

        Assert.Contains("not a JPEG", ex.Message, StringComparison.Ordinal);
        Assert.Contains("89 50 4E 47", ex.Message, StringComparison.Ordinal);
        Assert.Contains("PNG", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello, world")]
    [InlineData("GIF89a....")]
    public void Other_data_is_not_a_jpeg(string text)
    {
        var ex = Assert.Throws<UnsupportedImageFormatException>(() => JpegDecoder.Decode(System.Text.Encoding.ASCII.GetBytes(text)));

        Assert.Contains("not a JPEG", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("flat-420.jpg")]
    [InlineData("flat-420-progressive.jpg")]
    [InlineData("flat-444-restart-blocks.jpg")]
    [InlineData("photo-422-optimized.jpg")]
    public void Every_truncation_point_is_reported_as_truncated(string fixture)
    {
        var jpeg = JpegTestSupport.Load(fixture);

        for (var length = 3; length < jpeg.Length; length++)
        {
            var cut = jpeg.AsSpan(0, length).ToArray();
            var ex = Record.Exception(() => JpegDecoder.Decode(cut));
            Assert.True(ex is TruncatedImageException, $"{fixture} cut to {length} of {jpeg.Length} bytes: got {ex?.GetType().Name ?? "no exception"}: {ex?.Message}");
        }
    }

    [Fact]
    public void Truncation_messages_name_the_segment()
    {
        var jpeg = JpegTestSupport.Load("flat-420.jpg");
        var dht = JpegTestSupport.FindMarker(jpeg, 0xC4);
        var scan = JpegTestSupport.ScanDataStart(jpeg);

        var inDht = Assert.Throws<TruncatedImageException>(() => JpegDecoder.Decode(jpeg.AsSpan(0, dht + 10)));
        Assert.Contains("DHT segment", inDht.Message, StringComparison.Ordinal);

        var inScan = Assert.Throws<TruncatedImageException>(() => JpegDecoder.Decode(jpeg.AsSpan(0, scan + 40)));
        Assert.Contains("entropy-coded data of scan 1", inScan.Message, StringComparison.Ordinal);

        var noEoi = Assert.Throws<TruncatedImageException>(() => JpegDecoder.Decode(jpeg.AsSpan(0, jpeg.Length - 2)));
        Assert.Contains("scan 1", noEoi.Message, StringComparison.Ordinal);
        Assert.Contains("EOI", noEoi.Message, StringComparison.Ordinal);

        var progressive = JpegTestSupport.Load("flat-420-progressive.jpg");
        var secondSos = JpegTestSupport.FindMarker(progressive, 0xDA, JpegTestSupport.FindMarker(progressive, 0xDA) + 2);
        var betweenScans = Assert.Throws<TruncatedImageException>(() => JpegDecoder.Decode(progressive.AsSpan(0, secondSos)));
        Assert.Contains("after scan 1", betweenScans.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_huffman_codes_are_reported()
    {
        // A run of 1 bits longer than 16 is never a valid code (JPEG reserves the all-ones code): write FF 00 (a stuffed
        // 0xFF) over the start of the scan data.
        var jpeg = JpegTestSupport.Load("flat-420.jpg");
        var start = JpegTestSupport.ScanDataStart(jpeg);
        for (var i = 0; i < 8; i += 2)
        {
            jpeg[start + i] = 0xFF;
            jpeg[start + i + 1] = 0x00;
        }

        var ex = Assert.Throws<ImageDecodingException>(() => JpegDecoder.Decode(jpeg));

        Assert.Contains("invalid Huffman code", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("flat-420.jpg")]
    [InlineData("flat-420-progressive.jpg")]
    [InlineData("flat-444-restart-blocks.jpg")]
    [InlineData("photo-420.jpg")]
    [InlineData("photo-420-progressive.jpg")]
    [InlineData("photo-440-restart.jpg")]
    public void Flipped_bytes_in_entropy_data_give_an_image_or_a_decoding_error(string fixture)
    {
        // Corrupt scan data must never escape as anything but ImageDecodingException (no IndexOutOfRange, no hang).
        var original = JpegTestSupport.Load(fixture);
        var start = JpegTestSupport.ScanDataStart(original);
        var expected = JpegDecoder.Decode(original);
        var random = new Random(1234);
        var errors = 0;
        for (var trial = 0; trial < 300; trial++)
        {
            var jpeg = (byte[])original.Clone();
            var flips = 1 + random.Next(4);
            for (var f = 0; f < flips; f++)
            {
                jpeg[start + random.Next(jpeg.Length - 2 - start)] ^= (byte)(1 << random.Next(8));
            }

            try
            {
                var image = JpegDecoder.Decode(jpeg);
                Assert.Equal((expected.Width, expected.Height), (image.Width, image.Height));
            }
            catch (ImageDecodingException)
            {
                errors++;
            }
        }

        // Some of the 300 damaged files must be detected as damaged (not all decode silently).
        Assert.True(errors > 0, $"{fixture}: none of 300 damaged copies was reported as damaged.");
    }

    [Theory]
    [InlineData("flat-420-progressive-restart.jpg")]
    [InlineData("photo-422-optimized.jpg")]
    [InlineData("photo-444-progressive.jpg")]
    public void Damage_anywhere_in_the_file_gives_an_image_or_a_decoding_error(string fixture)
    {
        // Headers included (DQT, SOF, DHT, SOS, APPn): random byte changes and cuts, 1,000 copies.
        var original = JpegTestSupport.Load(fixture);
        var random = new Random(99);
        var errors = 0;
        for (var trial = 0; trial < 1000; trial++)
        {
            var jpeg = (byte[])original.Clone();
            var changes = 1 + random.Next(3);
            for (var f = 0; f < changes; f++)
            {
                jpeg[2 + random.Next(jpeg.Length - 2)] = (byte)random.Next(256);
            }

            if (random.Next(4) == 0)
            {
                jpeg = jpeg.AsSpan(0, 3 + random.Next(jpeg.Length - 3)).ToArray();
            }

            try
            {
                var image = JpegDecoder.Decode(jpeg, new ImageDecoderOptions { MaxPixels = 1_000_000 });
                Assert.Equal(image.Width * image.Height * 4, image.Pixels.Length);
            }
            catch (ImageDecodingException)
            {
                errors++;
            }
        }

        Assert.True(errors > 0, $"{fixture}: none of 1,000 damaged copies was reported as damaged.");
    }

    [Fact]
    public void An_overfull_huffman_table_is_reported()
    {
        var jpeg = JpegTestSupport.Load("flat-444.jpg");
        var dht = JpegTestSupport.FindMarker(jpeg, 0xC4);
        // Move three codes to length 1 (only two fit in one bit), keeping the total number of values.
        var counts = dht + 5;
        var from = Enumerable.Range(counts + 1, 15).First(i => jpeg[i] >= 3);
        jpeg[from] -= 3;
        jpeg[counts] += 3;

        var ex = Assert.Throws<ImageDecodingException>(() => JpegDecoder.Decode(jpeg));

        Assert.Contains("Huffman table in the DHT segment", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_declared_size_is_refused_before_allocating()
    {
        // SOI, then a baseline SOF declaring 65535×65535 (4.3 billion pixels), and nothing else.
        byte[] jpeg =
        [
            0xFF, 0xD8,
            0xFF, 0xC0, 0x00, 0x11, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x03,
            0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
        ];

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<ImageTooLargeException>(() => JpegDecoder.Decode(jpeg));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal((65535, 65535, 50_000_000L), (ex.Width, ex.Height, ex.MaxPixels));
        Assert.True(allocated < 1_000_000, $"Decoding allocated {allocated} bytes before refusing.");
    }

    [Fact]
    public void MaxPixels_is_honoured_exactly()
    {
        var jpeg = JpegTestSupport.Load("flat-444.jpg");

        Assert.Throws<ImageTooLargeException>(() => JpegDecoder.Decode(jpeg, new ImageDecoderOptions { MaxPixels = (50 * 37) - 1 }));
        Assert.Equal(50, JpegDecoder.Decode(jpeg, new ImageDecoderOptions { MaxPixels = 50 * 37 }).Width);
    }

    [Fact]
    public void Arithmetic_coding_is_refused_naming_the_frame_type()
    {
        var ex = Assert.Throws<UnsupportedImageFormatException>(() => JpegDecoder.Decode(JpegTestSupport.Load("flat-arithmetic.jpg")));

        Assert.Contains("SOF9", ex.Message, StringComparison.Ordinal);
        Assert.Contains("arithmetic", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0xC3, "SOF3 (lossless")]
    [InlineData(0xC5, "SOF5")]
    [InlineData(0xCA, "SOF10 (progressive, arithmetic")]
    [InlineData(0xCF, "SOF15")]
    public void Other_jpeg_processes_are_refused_naming_the_frame_type(byte sof, string expected)
    {
        var jpeg = JpegTestSupport.Load("flat-444.jpg");
        jpeg[JpegTestSupport.FindMarker(jpeg, 0xC0) + 1] = sof;

        var ex = Assert.Throws<UnsupportedImageFormatException>(() => JpegDecoder.Decode(jpeg));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Twelve_bit_precision_is_refused()
    {
        var jpeg = JpegTestSupport.Load("flat-444.jpg");
        jpeg[JpegTestSupport.FindMarker(jpeg, 0xC0) + 4] = 12;

        var ex = Assert.Throws<UnsupportedImageFormatException>(() => JpegDecoder.Decode(jpeg));

        Assert.Contains("12-bit", ex.Message, StringComparison.Ordinal);
        Assert.Contains("SOF0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_height_left_to_a_DNL_marker_is_refused()
    {
        var jpeg = JpegTestSupport.Load("flat-444.jpg");
        var sof = JpegTestSupport.FindMarker(jpeg, 0xC0);
        jpeg[sof + 5] = 0;
        jpeg[sof + 6] = 0;

        var ex = Assert.Throws<UnsupportedImageFormatException>(() => JpegDecoder.Decode(jpeg));

        Assert.Contains("DNL", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_component_frames_are_refused()
    {
        // SOF0 declaring 2 components (the header is checked before anything else is read).
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0E, 0x08, 0x00, 0x10, 0x00, 0x10, 0x02, 0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0xFF, 0xD9];

        var ex = Assert.Throws<UnsupportedImageFormatException>(() => JpegDecoder.Decode(jpeg));

        Assert.Contains("2 components", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scan_referring_to_an_unknown_component_is_reported()
    {
        var jpeg = JpegTestSupport.Load("flat-444.jpg");
        var sos = JpegTestSupport.FindMarker(jpeg, 0xDA);
        jpeg[sos + 5] = 9; // first component selector of the scan

        var ex = Assert.Throws<ImageDecodingException>(() => JpegDecoder.Decode(jpeg));

        Assert.Contains("component id 9", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_frame_component_ids_are_reported()
    {
        var jpeg = JpegTestSupport.Load("flat-444.jpg");
        var sof = JpegTestSupport.FindMarker(jpeg, 0xC0);
        jpeg[sof + 13] = jpeg[sof + 10]; // second component gets the first one's id

        var ex = Assert.Throws<ImageDecodingException>(() => JpegDecoder.Decode(jpeg));

        Assert.Contains("same id", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_huffman_table_is_reported()
    {
        var jpeg = RemoveSegments(JpegTestSupport.Load("flat-444.jpg"), 0xC4);

        var ex = Assert.Throws<ImageDecodingException>(() => JpegDecoder.Decode(jpeg));

        Assert.Contains("Huffman table", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no DHT segment defined", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_quantisation_table_is_reported()
    {
        var jpeg = RemoveSegments(JpegTestSupport.Load("flat-444.jpg"), 0xDB);

        var ex = Assert.Throws<ImageDecodingException>(() => JpegDecoder.Decode(jpeg));

        Assert.Contains("quantisation table 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scan_before_the_frame_header_is_reported()
    {
        var jpeg = RemoveSegments(JpegTestSupport.Load("flat-444.jpg"), 0xC0);

        var ex = Assert.Throws<ImageDecodingException>(() => JpegDecoder.Decode(jpeg));

        Assert.Contains("before any frame header", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_restart_marker_is_reported()
    {
        var jpeg = JpegTestSupport.Load("flat-444-restart-blocks.jpg");
        var rst0 = JpegTestSupport.FindMarker(jpeg, 0xD0, JpegTestSupport.ScanDataStart(jpeg));
        jpeg[rst0 + 1] = 0xD3;

        var ex = Assert.Throws<ImageDecodingException>(() => JpegDecoder.Decode(jpeg));

        Assert.Contains("expected the restart marker RST0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RST3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_segment_length_past_the_end_is_reported_as_truncated()
    {
        var jpeg = JpegTestSupport.Load("flat-444.jpg");
        var dqt = JpegTestSupport.FindMarker(jpeg, 0xDB);
        jpeg[dqt + 2] = 0xFF;
        jpeg[dqt + 3] = 0xF0;

        var ex = Assert.Throws<TruncatedImageException>(() => JpegDecoder.Decode(jpeg));

        Assert.Contains("DQT segment", ex.Message, StringComparison.Ordinal);
        Assert.Contains("65520 bytes", ex.Message, StringComparison.Ordinal);
    }

    private static byte[] RemoveSegments(byte[] jpeg, byte marker)
    {
        var result = new List<byte>(jpeg.Length);
        result.AddRange(jpeg.AsSpan(0, 2));
        var pos = 2;
        while (pos < jpeg.Length)
        {
            var m = jpeg[pos + 1];
            if (m == 0xDA)
            {
                result.AddRange(jpeg.AsSpan(pos));
                break;
            }

            var length = (jpeg[pos + 2] << 8) | jpeg[pos + 3];
            if (m != marker)
            {
                result.AddRange(jpeg.AsSpan(pos, length + 2));
            }

            pos += length + 2;
        }

        return [.. result];
    }
}
