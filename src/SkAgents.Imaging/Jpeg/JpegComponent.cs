namespace SkAgents.Imaging.Jpeg;

/// <summary>One frame component (T.81 B.2.2) and its coefficient storage.</summary>
internal sealed class JpegComponent
{
    public JpegComponent(int id, int h, int v, int quantTable)
    {
        Id = id;
        H = h;
        V = v;
        QuantTable = quantTable;
    }

    public int Id { get; }

    public int H { get; }

    public int V { get; }

    public int QuantTable { get; }

    /// <summary>Gets or sets the component's width in samples, ceil(X × H / Hmax).</summary>
    public int Width { get; set; }

    /// <summary>Gets or sets the component's height in samples, ceil(Y × V / Vmax).</summary>
    public int Height { get; set; }

    /// <summary>Gets or sets the blocks per line that carry data, ceil(Width / 8).</summary>
    public int BlocksPerLine { get; set; }

    /// <summary>Gets or sets the block rows that carry data, ceil(Height / 8).</summary>
    public int BlocksPerColumn { get; set; }

    /// <summary>Gets or sets the blocks per line including MCU padding (MCUs across × H).</summary>
    public int StorageBlocksPerLine { get; set; }

    /// <summary>Gets or sets the block rows including MCU padding (MCUs down × V).</summary>
    public int StorageBlocksPerColumn { get; set; }

    /// <summary>Gets or sets the coefficients, 64 per block in natural order, blocks row-major over the storage grid.</summary>
    public short[] Coefficients { get; set; } = [];

    /// <summary>Gets or sets the decoded samples of a sequential frame (written block by block as the scan is decoded), row stride StorageBlocksPerLine × 8.</summary>
    public byte[] Samples { get; set; } = [];

    /// <summary>Gets or sets the quantisation table latched at this component's first scan (natural order).</summary>
    public ushort[]? Quant { get; set; }

    /// <summary>Gets or sets the DC predictor.</summary>
    public int DcPredictor { get; set; }

    /// <summary>Gets or sets the DC table of the current scan.</summary>
    public JpegHuffmanTable? DcTable { get; set; }

    /// <summary>Gets or sets the AC table of the current scan.</summary>
    public JpegHuffmanTable? AcTable { get; set; }
}
