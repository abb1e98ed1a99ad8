using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Kimi.Actors.Rl.Reporting;

/// <summary>The few protobuf encodings TensorBoard events need: varint, fixed64, fixed32 and length-delimited fields.</summary>
internal sealed class ProtobufWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public ProtobufWriter Varint(int field, long value)
    {
        Tag(field, ProtobufWireType.Varint);
        // Negative int64 values are sent as their 64-bit two's complement, 10 bytes.
        RawVarint((ulong)value);
        return this;
    }

    public ProtobufWriter Double(int field, double value)
    {
        Tag(field, ProtobufWireType.Fixed64);
        BinaryPrimitives.WriteDoubleLittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    public ProtobufWriter Float(int field, float value)
    {
        Tag(field, ProtobufWireType.Fixed32);
        BinaryPrimitives.WriteSingleLittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    public ProtobufWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtobufWriter Message(int field, ProtobufWriter message) => Bytes(field, message.WrittenSpan);

    public ProtobufWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, ProtobufWireType.LengthDelimited);
        RawVarint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    private void Tag(int field, ProtobufWireType type) => RawVarint(((ulong)field << 3) | (ulong)type);

    private void RawVarint(ulong value)
    {
        var span = _buffer.GetSpan(10);
        int n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[n++] = (byte)value;
        _buffer.Advance(n);
    }
}
