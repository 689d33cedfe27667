using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace SkAgents.ModelFactory;

/// <summary>
/// Minimal protocol buffers encoder (wire format only): varints, fixed32, length-delimited fields.
/// Repeated scalars are written unpacked (the proto2 default that onnx.proto uses); parsers accept both.
/// </summary>
internal sealed class ProtoWriter
{
    private const int WireVarint = 0;
    private const int WireFixed32 = 5;
    private const int WireLengthDelimited = 2;

    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public void Int64(int field, long value)
    {
        Tag(field, WireVarint);
        Varint(unchecked((ulong)value));
    }

    /// <summary>int32 and enums: negative values are sign-extended to 64 bits, as protobuf requires.</summary>
    public void Int32(int field, int value) => Int64(field, value);

    public void Float(int field, float value)
    {
        Tag(field, WireFixed32);
        var span = _buffer.GetSpan(4);
        BinaryPrimitives.WriteSingleLittleEndian(span, value);
        _buffer.Advance(4);
    }

    public void String(int field, string value)
    {
        Tag(field, WireLengthDelimited);
        int length = Encoding.UTF8.GetByteCount(value);
        Varint((ulong)length);
        var span = _buffer.GetSpan(length);
        Encoding.UTF8.GetBytes(value, span);
        _buffer.Advance(length);
    }

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, WireLengthDelimited);
        Varint((ulong)value.Length);
        _buffer.Write(value);
    }

    public void Message(int field, IProtoMessage message)
    {
        var child = new ProtoWriter();
        message.WriteTo(child);
        Bytes(field, child.WrittenSpan);
    }

    public void Varint(ulong value)
    {
        var span = _buffer.GetSpan(10);
        int i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        _buffer.Advance(i);
    }

    private void Tag(int field, int wireType) => Varint((ulong)(((uint)field << 3) | (uint)wireType));
}

/// <summary>Something that serializes itself as a protobuf message.</summary>
internal interface IProtoMessage
{
    void WriteTo(ProtoWriter writer);
}
