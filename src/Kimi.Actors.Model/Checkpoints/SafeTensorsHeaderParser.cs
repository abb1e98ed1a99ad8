using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace Kimi.Actors.Model.Checkpoints;

/// <summary>Reads and validates the length prefix and JSON header of a safetensors file.</summary>
internal static class SafeTensorsHeaderParser
{
    /// <summary>The reference implementation refuses larger headers; so do we, before allocating.</summary>
    public const long MaxHeaderLength = 100_000_000;

    public const string MetadataKey = "__metadata__";

    /// <summary>Decodes N from the 8-byte prefix and checks it against the total length when that is known.</summary>
    public static long ReadHeaderLength(ReadOnlySpan<byte> prefix, long? totalLength, string source)
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > MaxHeaderLength)
            throw new CheckpointException(source, "header length", $"{n} bytes is beyond the {MaxHeaderLength}-byte limit (corrupt file?)");
        if (totalLength is long total && (long)n > total - 8)
            throw new CheckpointException(source, "header length", $"{n} bytes is beyond the end of the file ({total} bytes in all)");
        return (long)n;
    }

    /// <summary>
    /// Parses the header JSON and checks every entry: known dtype, shape matching its byte range, and data ranges
    /// that tile the data section exactly (no overlaps, no holes), as the reference reader demands.
    /// <paramref name="dataLength"/> is the size of the data section when it is known (files, buffers, seekable streams).
    /// </summary>
    public static SafeTensorsHeader Parse(ReadOnlyMemory<byte> json, long? dataLength, string source)
    {
        // JsonDocument checks UTF-8 only when a string is read, and then throws InvalidOperationException.
        if (!Utf8.IsValid(json.Span))
            throw new CheckpointException(source, "header", "not valid UTF-8");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new CheckpointException(source, "header", $"invalid JSON: {e.Message}", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(source, "header", $"expected a JSON object, found {doc.RootElement.ValueKind}");

            var tensors = new List<SafeTensorInfo>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            Dictionary<string, string>? metadata = null;
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (metadata is not null)
                        throw new CheckpointException(source, MetadataKey, "appears twice");
                    metadata = ParseMetadata(property.Value, source);
                    continue;
                }
                if (!names.Add(property.Name))
                    throw new CheckpointException(source, TensorField(property.Name), "duplicate tensor name");
                tensors.Add(ParseTensor(property.Name, property.Value, source));
            }

            tensors.Sort((a, b) => a.DataBegin != b.DataBegin ? a.DataBegin.CompareTo(b.DataBegin)
                : a.DataEnd != b.DataEnd ? a.DataEnd.CompareTo(b.DataEnd)
                : string.CompareOrdinal(a.Name, b.Name));
            long end = CheckTiling(tensors, source);
            if (dataLength is long available && end != available)
            {
                throw end > available
                    ? new CheckpointException(source, TensorField(tensors[^1].Name),
                        $"data ends at byte {end} of the data section but only {available} bytes follow the header (truncated file?)")
                    : new CheckpointException(source, "data_offsets",
                        $"tensors cover {end} bytes but {available} bytes follow the header (trailing bytes)");
            }
            return new SafeTensorsHeader(tensors, metadata ?? new Dictionary<string, string>(), json.Length, end);
        }
    }

    public static string TensorField(string name) => $"tensor '{name}'";

    private static Dictionary<string, string> ParseMetadata(JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new CheckpointException(source, MetadataKey, $"expected an object of strings, found {value.ValueKind}");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new CheckpointException(source, $"{MetadataKey}.{entry.Name}", $"expected a string, found {entry.Value.ValueKind}");
            if (!result.TryAdd(entry.Name, entry.Value.GetString()!))
                throw new CheckpointException(source, $"{MetadataKey}.{entry.Name}", "duplicate key");
        }
        return result;
    }

    private static SafeTensorInfo ParseTensor(string name, JsonElement value, string source)
    {
        string field = TensorField(name);
        if (value.ValueKind != JsonValueKind.Object)
            throw new CheckpointException(source, field, $"expected an object, found {value.ValueKind}");

        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new CheckpointException(source, field, "missing or non-string \"dtype\"");
        string dtype = dtypeElement.GetString()!;
        if (!SafeTensorsDType.TryFromName(dtype, out var scalarType, out int elementSize))
            throw new CheckpointException(source, field, $"unknown dtype \"{dtype}\" (supported: {SafeTensorsDType.SupportedNames})");

        long[] shape = ReadNonNegativeIntegers(value, "shape", expectedCount: null, source, field);
        long[] offsets = ReadNonNegativeIntegers(value, "data_offsets", expectedCount: 2, source, field);
        long begin = offsets[0], end = offsets[1];
        if (end < begin)
            throw new CheckpointException(source, field, $"data_offsets [{begin},{end}] end before they begin");

        long expected;
        try
        {
            expected = elementSize;
            foreach (long d in shape) expected = checked(expected * d);
        }
        catch (OverflowException)
        {
            throw new CheckpointException(source, field, $"shape [{string.Join(",", shape)}] is too large (overflow)");
        }
        if (expected != end - begin)
            throw new CheckpointException(source, field,
                $"shape [{string.Join(",", shape)}] of {dtype} needs {expected} bytes but data_offsets [{begin},{end}] hold {end - begin}");

        return new SafeTensorInfo(name, dtype, scalarType, shape, begin, end);
    }

    private static long[] ReadNonNegativeIntegers(JsonElement tensor, string key, int? expectedCount, string source, string field)
    {
        if (!tensor.TryGetProperty(key, out var array) || array.ValueKind != JsonValueKind.Array)
            throw new CheckpointException(source, field, $"missing or non-array \"{key}\"");
        int count = array.GetArrayLength();
        if (expectedCount is int n && count != n)
            throw new CheckpointException(source, field, $"\"{key}\" has {count} entries, expected {n}");
        var result = new long[count];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long v) || v < 0)
                throw new CheckpointException(source, field, $"\"{key}\"[{i}] is not a non-negative integer: {item.GetRawText()}");
            result[i++] = v;
        }
        return result;
    }

    /// <summary>Checks that the sorted ranges start at 0 and follow each other without overlap or gap; returns the end.</summary>
    private static long CheckTiling(List<SafeTensorInfo> sorted, string source)
    {
        long position = 0;
        string? previous = null;
        foreach (var t in sorted)
        {
            if (t.DataBegin < position)
                throw new CheckpointException(source, TensorField(t.Name),
                    $"data_offsets [{t.DataBegin},{t.DataEnd}] overlap tensor '{previous}' (which ends at {position})");
            if (t.DataBegin > position)
                throw new CheckpointException(source, TensorField(t.Name),
                    $"data_offsets [{t.DataBegin},{t.DataEnd}] leave a hole of {t.DataBegin - position} bytes before them");
            position = t.DataEnd;
            previous = t.Name;
        }
        return position;
    }
}
