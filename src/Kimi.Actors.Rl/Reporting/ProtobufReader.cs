using System.Buffers.Binary;

namespace Kimi.Actors.Rl.Reporting;

/// <summary>Walks the fields of one protobuf message; malformed input raises <see cref="InvalidDataException"/>.</summary>
internal ref struct ProtobufReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public bool TryReadTag(out int field, out ProtobufWireType type)
    {
        if (_position >= _data.Length)
        {
            (field, type) = (0, default);
            return false;
        }
        ulong tag = ReadVarint();
        field = (int)(tag >> 3);
        type = (ProtobufWireType)(tag & 7);
        if (field == 0) throw new InvalidDataException("protobuf field number 0");
        return true;
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = Take(1)[0];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException("protobuf varint longer than 10 bytes");
    }

    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    public float ReadFloat() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
            throw new InvalidDataException($"protobuf length {length} runs past the end of the message");
        return Take((int)length);
    }

    public void Skip(ProtobufWireType type)
    {
        switch (type)
        {
            case ProtobufWireType.Varint: ReadVarint(); break;
            case ProtobufWireType.Fixed64: Take(8); break;
            case ProtobufWireType.Fixed32: Take(4); break;
            case ProtobufWireType.LengthDelimited: ReadLengthDelimited(); break;
            default: throw new InvalidDataException($"unsupported protobuf wire type {(int)type}");
        }
    }

    /// <summary>Reads a field whose wire type must be <paramref name="expected"/>.</summary>
    public readonly void Expect(ProtobufWireType actual, ProtobufWireType expected, string field)
    {
        if (actual != expected) throw new InvalidDataException($"protobuf field {field} has wire type {actual}, expected {expected}");
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position) throw new InvalidDataException("protobuf message ends inside a field");
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}
