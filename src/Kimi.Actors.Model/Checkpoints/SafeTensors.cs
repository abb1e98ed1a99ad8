using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of JSON header padded with spaces to a multiple of 8, then the raw little-endian tensor
/// data. Files written here are laid out as Python's <c>safetensors.torch.save_file</c> lays them out (data sorted by
/// descending dtype alignment, then by name), so for ASCII names they are byte-identical to Python's.
/// </summary>
public static class SafeTensors
{
    private const int FileBufferSize = 1 << 20;

    private static readonly JsonWriterOptions HeaderWriterOptions = new()
    {
        // Like serde_json: non-ASCII stays UTF-8 instead of \u escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> via <c>path + ".tmp"</c> and a rename, so the
    /// path holds either the previous file or the complete new one, never a partial write. Creates the folder.
    /// Tensors may live on any device and be non-contiguous; each is copied to contiguous CPU memory in turn.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temporary = full + ".tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, FileBufferSize))
            {
                Save(file, tensors, metadata);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Writes the safetensors bytes of <paramref name="tensors"/> to <paramref name="stream"/> at its current position.</summary>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var entries = Plan(tensors);
        byte[] header = EncodeHeader(entries, metadata);

        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var entry in entries)
        {
            var tensor = entry.Tensor;
            using var onCpu = tensor.device_type == DeviceType.CPU ? null : tensor.cpu();
            var source = onCpu ?? tensor;
            using var contiguous = source.is_contiguous() ? null : source.contiguous();
            TensorBytes.Write(stream, contiguous ?? source);
        }
    }

    /// <summary>The safetensors file as bytes in memory (e.g. to send weights to another process).</summary>
    public static byte[] ToBytes(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var memory = new MemoryStream();
        Save(memory, tensors, metadata);
        return memory.ToArray();
    }

    /// <summary>Reads every tensor of the file, onto <paramref name="device"/> (CPU when null). The caller owns the tensors.</summary>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null)
    {
        using var file = OpenRead(path);
        return Load(file, device, path);
    }

    /// <summary>
    /// Reads a safetensors file from the stream's current position. On a seekable stream the data length is
    /// checked against the header before anything is allocated; otherwise a short stream is found while reading.
    /// <paramref name="source"/> names the stream in error messages.
    /// </summary>
    public static Dictionary<string, Tensor> Load(Stream stream, Device? device = null, string source = "<stream>")
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = ReadHeader(stream, source);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in header.Tensors)
            {
                var tensor = empty(info.Shape.ToArray(), info.ScalarType);
                result.Add(info.Name, tensor);
                if (!TensorBytes.Read(stream, tensor))
                    throw new CheckpointException(source, SafeTensorsHeaderParser.TensorField(info.Name),
                        $"the data ends inside this tensor (bytes [{info.DataBegin},{info.DataEnd}] of the data section; truncated file?)");
                result[info.Name] = MoveTo(tensor, device);
            }
            return result;
        }
        catch
        {
            foreach (var tensor in result.Values) tensor.Dispose();
            throw;
        }
    }

    /// <summary>Reads every tensor from a whole safetensors file held in memory.</summary>
    public static Dictionary<string, Tensor> Load(ReadOnlySpan<byte> bytes, Device? device = null, string source = "<bytes>")
    {
        var header = ReadHeader(bytes, source);
        var data = bytes[(int)header.DataOffset..];
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in header.Tensors)
            {
                var tensor = empty(info.Shape.ToArray(), info.ScalarType);
                result.Add(info.Name, tensor);
                // The whole input fits one span, so every tensor's bytes do too.
                data.Slice((int)info.DataBegin, (int)info.ByteLength).CopyTo(tensor.bytes);
                result[info.Name] = MoveTo(tensor, device);
            }
            return result;
        }
        catch
        {
            foreach (var tensor in result.Values) tensor.Dispose();
            throw;
        }
    }

    /// <summary>Reads and validates the header (names, dtypes, shapes, offsets, metadata) without reading tensor data.</summary>
    public static SafeTensorsHeader ReadHeader(string path)
    {
        using var file = OpenRead(path);
        return ReadHeader(file, path);
    }

    /// <summary>Reads and validates the header of a whole safetensors file held in memory.</summary>
    public static SafeTensorsHeader ReadHeader(ReadOnlySpan<byte> bytes, string source = "<bytes>")
    {
        if (bytes.Length < 8)
            throw new CheckpointException(source, "header length", $"truncated: {bytes.Length} bytes, fewer than the 8-byte length prefix");
        long n = SafeTensorsHeaderParser.ReadHeaderLength(bytes[..8], bytes.Length, source);
        return SafeTensorsHeaderParser.Parse(bytes.Slice(8, (int)n).ToArray(), bytes.Length - 8 - n, source);
    }

    private static SafeTensorsHeader ReadHeader(Stream stream, string source)
    {
        long? total = stream.CanSeek ? stream.Length - stream.Position : null;
        Span<byte> prefix = stackalloc byte[8];
        int got = stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
        if (got < 8)
            throw new CheckpointException(source, "header length", $"truncated: {got} bytes, fewer than the 8-byte length prefix");
        long n = SafeTensorsHeaderParser.ReadHeaderLength(prefix, total, source);

        var json = new byte[n];
        got = stream.ReadAtLeast(json, json.Length, throwOnEndOfStream: false);
        if (got < n)
            throw new CheckpointException(source, "header", $"truncated: the header should be {n} bytes but the data ends after {got}");
        return SafeTensorsHeaderParser.Parse(json, total - 8 - n, source);
    }

    private static FileStream OpenRead(string path) =>
        // Unbuffered: tensor data is read straight into tensor memory in large blocks.
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);

    private static Tensor MoveTo(Tensor tensor, Device? device)
    {
        if (device is null || device.type == DeviceType.CPU) return tensor;
        var moved = tensor.to(device);
        tensor.Dispose();
        return moved;
    }

    private sealed record Entry(string Name, Tensor Tensor, string DType, long[] Shape, long Begin, long End);

    /// <summary>Validates the inputs and assigns data ranges in the order Python's writer uses.</summary>
    private static List<Entry> Plan(IReadOnlyDictionary<string, Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (var (name, tensor) in tensors)
        {
            if (tensor is null) throw new ArgumentException($"tensor '{name}' is null", nameof(tensors));
            if (name == SafeTensorsHeaderParser.MetadataKey)
                throw new ArgumentException($"'{name}' is reserved for metadata and cannot name a tensor", nameof(tensors));
            if (!SafeTensorsDType.IsSupported(tensor.dtype))
                throw new ArgumentException($"tensor '{name}' has dtype {tensor.dtype}; safetensors support here covers {SafeTensorsDType.SupportedNames}", nameof(tensors));
        }

        var ordered = tensors
            .OrderByDescending(p => SafeTensorsDType.AlignmentRank(p.Value.dtype))
            .ThenBy(p => p.Key, StringComparer.Ordinal);
        var entries = new List<Entry>(tensors.Count);
        long offset = 0;
        foreach (var (name, tensor) in ordered)
        {
            long length = checked(tensor.NumberOfElements * SafeTensorsDType.Size(tensor.dtype));
            entries.Add(new Entry(name, tensor, SafeTensorsDType.Name(tensor.dtype), tensor.shape, offset, offset + length));
            offset += length;
        }
        return entries;
    }

    /// <summary>The JSON header, metadata first and then tensors in data order (as Python writes it), space-padded to 8 bytes.</summary>
    private static byte[] EncodeHeader(List<Entry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, HeaderWriterOptions))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject(SafeTensorsHeaderParser.MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            foreach (var e in entries)
            {
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", e.DType);
                json.WriteStartArray("shape");
                foreach (long d in e.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(e.Begin);
                json.WriteNumberValue(e.End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }
}
