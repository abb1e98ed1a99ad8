using System.Buffers.Binary;
using System.Numerics;
using System.IO.Hashing;
using Google.Protobuf;
using Tensorboard;

namespace Kimi.Actors.Reporting.Tests;

/// <summary>
/// Reads a TensorBoard event file back for tests: TFRecord framing checked here from the format's definition (not
/// with the writer's code), events decoded with TorchSharp's generated protobuf types.
/// </summary>
public static class TensorBoardReader
{
    private const int HeaderSize = 12, FooterSize = 4;

    /// <summary>
    /// Every event in file order. A truncated or corrupt record, or a payload that is not an Event, raises
    /// <see cref="InvalidDataException"/> naming the file, record index and byte offset.
    /// </summary>
    public static IReadOnlyList<Event> ReadEvents(string file)
    {
        byte[] bytes = File.ReadAllBytes(file);
        var events = new List<Event>();
        for (int index = 0, offset = 0; offset < bytes.Length; index++)
        {
            string where = $"{file}: record {index} at byte {offset}";
            var rest = bytes.AsSpan(offset);
            if (rest.Length < HeaderSize) throw new InvalidDataException($"{where}: truncated header ({rest.Length} of {HeaderSize} bytes)");
            if (BinaryPrimitives.ReadUInt32LittleEndian(rest[8..]) != Masked(rest[..8]))
                throw new InvalidDataException($"{where}: length CRC mismatch (corrupt record)");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(rest);
            if (length > (ulong)Math.Max(0, rest.Length - HeaderSize - FooterSize))
                throw new InvalidDataException($"{where}: length {length} runs past the end of the file");
            var data = rest.Slice(HeaderSize, (int)length);
            if (BinaryPrimitives.ReadUInt32LittleEndian(rest[(HeaderSize + (int)length)..]) != Masked(data))
                throw new InvalidDataException($"{where}: data CRC mismatch (corrupt record)");
            try
            {
                // TorchSharp's generated types predate span parsing: they parse from arrays.
                events.Add(Event.Parser.ParseFrom(data.ToArray()));
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new InvalidDataException($"{where}: malformed Event: {e.Message}", e);
            }
            offset += HeaderSize + (int)length + FooterSize;
        }
        return events;
    }

    /// <summary>Every simple_value scalar, with its event's step and wall time.</summary>
    public static IReadOnlyList<ScalarEvent> ReadScalars(string file) =>
        ReadEvents(file).Where(e => e.Summary is not null)
            .SelectMany(e => e.Summary.Value.Where(v => v.ValueCase == Summary.Types.Value.ValueOneofCase.SimpleValue)
                .Select(v => new ScalarEvent(v.Tag, e.Step, v.SimpleValue, e.WallTime)))
            .ToList();

    /// <summary>Every text summary (a string tensor for TensorBoard's text plugin).</summary>
    public static IReadOnlyList<TextEvent> ReadTexts(string file) =>
        ReadEvents(file).Where(e => e.Summary is not null)
            .SelectMany(e => e.Summary.Value.Where(v => v.Metadata?.PluginData?.PluginName == "text" && v.Tensor is not null)
                .Select(v => new TextEvent(v.Tag, e.Step, string.Concat(v.Tensor.StringVal.Select(s => s.ToStringUtf8())), e.WallTime)))
            .ToList();

    /// <summary>The TFRecord masked CRC-32C: rotate right by 15 bits and add 0xa282ead8.</summary>
    private static uint Masked(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data);
        return BitOperations.RotateRight(crc, 15) + 0xa282ead8u;
    }
}
