using System.Text;

namespace Kimi.Actors.Rl.Reporting;

/// <summary>Reads the scalar summaries back from a TensorBoard event file, verifying every record's CRCs.</summary>
public static class TensorBoardReader
{
    /// <summary>
    /// Every simple_value scalar in file order. A truncated or corrupt record, or an Event that is not valid
    /// protobuf, raises <see cref="InvalidDataException"/> naming the file, record index and byte offset.
    /// </summary>
    public static IReadOnlyList<ScalarEvent> ReadScalars(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var scalars = new List<ScalarEvent>();
        int index = 0;
        foreach (var (offset, data) in TfRecord.ReadAll(stream, file))
        {
            try
            {
                ReadEvent(data, scalars);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{file}: record {index} at byte {offset}: malformed Event: {e.Message}", e);
            }
            index++;
        }
        return scalars;
    }

    private static void ReadEvent(ReadOnlySpan<byte> data, List<ScalarEvent> into)
    {
        double wallTime = 0;
        long step = 0;
        var summaries = new List<byte[]>();
        var reader = new ProtobufReader(data);
        while (reader.TryReadTag(out int field, out var type))
        {
            switch (field)
            {
                case TensorBoardEvent.WallTime:
                    reader.Expect(type, ProtobufWireType.Fixed64, "wall_time");
                    wallTime = reader.ReadDouble();
                    break;
                case TensorBoardEvent.Step:
                    reader.Expect(type, ProtobufWireType.Varint, "step");
                    step = (long)reader.ReadVarint();
                    break;
                case TensorBoardEvent.Summary:
                    reader.Expect(type, ProtobufWireType.LengthDelimited, "summary");
                    summaries.Add(reader.ReadLengthDelimited().ToArray());
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }
        // Fields may come in any order, so values are read once step and wall_time are known.
        foreach (var summary in summaries)
        {
            var values = new ProtobufReader(summary);
            while (values.TryReadTag(out int field, out var type))
            {
                if (field != TensorBoardEvent.SummaryValue)
                {
                    values.Skip(type);
                    continue;
                }
                values.Expect(type, ProtobufWireType.LengthDelimited, "summary.value");
                if (ReadValue(values.ReadLengthDelimited()) is { } scalar)
                    into.Add(new ScalarEvent(scalar.Tag, step, scalar.Value, wallTime));
            }
        }
    }

    /// <summary>The tag and simple_value of a Summary.Value, or null for other kinds of value (images, tensors...).</summary>
    private static (string Tag, float Value)? ReadValue(ReadOnlySpan<byte> data)
    {
        string tag = "";
        float? value = null;
        var reader = new ProtobufReader(data);
        while (reader.TryReadTag(out int field, out var type))
        {
            if (field == TensorBoardEvent.ValueTag && type == ProtobufWireType.LengthDelimited)
                tag = Encoding.UTF8.GetString(reader.ReadLengthDelimited());
            else if (field == TensorBoardEvent.ValueSimpleValue && type == ProtobufWireType.Fixed32)
                value = reader.ReadFloat();
            else
                reader.Skip(type);
        }
        return value is float v ? (tag, v) : null;
    }
}
