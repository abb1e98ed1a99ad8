using System.Buffers.Binary;
using System.Text;
using Kimi.Actors.Model.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Tests.Checkpoints;

/// <summary>Files built byte by byte as Python's safetensors writes them, and corrupt variants of them.</summary>
public sealed class SafeTensorsFormatTests : IDisposable
{
    private readonly CheckpointFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>8-byte little-endian N, the header padded with spaces to a multiple of 8, then the data.</summary>
    private static byte[] Build(string header, byte[] data, ulong? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        int padded = (json.Length + 7) / 8 * 8;
        var file = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, declaredLength ?? (ulong)padded);
        json.CopyTo(file, 8);
        file.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        data.CopyTo(file, 8 + padded);
        return file;
    }

    private static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    private string Write(byte[] bytes, string name = "c.safetensors")
    {
        string path = _folder.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Python_single_tensor_file_loads_and_is_reproduced_byte_for_byte()
    {
        // safetensors.torch.save_file({"attn.0": torch.arange(6.).reshape(1, 2, 3)}): a 64-byte header, no padding.
        const string header = """{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}""";
        Assert.Equal(64, header.Length);
        byte[] python = Build(header, Floats(0, 1, 2, 3, 4, 5));

        var loaded = SafeTensors.Load(Write(python));
        using var expected = arange(6, dtype: ScalarType.Float32).reshape(1, 2, 3);
        Assert.True(expected.Equals(loaded["attn.0"]));

        Assert.Equal(python, SafeTensors.ToBytes(new Dictionary<string, Tensor> { ["attn.0"] = expected }));
    }

    [Fact]
    public void Python_file_with_metadata_and_mixed_dtypes_loads()
    {
        // save_file({"w": float32 [2], "b": bfloat16 [2], "m": bool [3]}, metadata={"format": "pt"}):
        // metadata first, then tensors in data order (descending alignment), header padded with spaces.
        const string header = """{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},"m":{"dtype":"BOOL","shape":[3],"data_offsets":[12,15]}}""";
        byte[] data = [.. Floats(1.5f, -2f), 0x80, 0x3F, 0x00, 0xC0, 1, 0, 1];
        byte[] python = Build(header, data);

        var loaded = SafeTensors.Load(Write(python));

        Assert.Equal(new[] { 1.5f, -2f }, loaded["w"].data<float>().ToArray());
        Assert.Equal(new[] { 1f, -2f }, loaded["b"].to(ScalarType.Float32).data<float>().ToArray());
        Assert.Equal(new[] { true, false, true }, loaded["m"].data<bool>().ToArray());
        Assert.Equal("pt", SafeTensors.ReadHeader(python).Metadata["format"]);
        Assert.Equal(python, SafeTensors.ToBytes(loaded, new Dictionary<string, string> { ["format"] = "pt" }));
    }

    [Fact]
    public void Any_key_order_whitespace_and_scalar_shapes_are_accepted()
    {
        const string header = """
            {
              "s": {"shape": [], "data_offsets": [8, 16], "dtype": "I64"},
              "e": {"dtype": "F16", "shape": [0, 4], "data_offsets": [8, 8]},
              "x": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}
            }
            """;
        byte[] data = new byte[16];
        BinaryPrimitives.WriteDoubleLittleEndian(data, Math.PI);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), -42);

        var loaded = SafeTensors.Load(Build(header, data));

        Assert.Equal(Math.PI, loaded["x"].item<double>());
        Assert.Equal(0, loaded["s"].dim());
        Assert.Equal(-42L, loaded["s"].item<long>());
        Assert.Equal(new long[] { 0, 4 }, loaded["e"].shape);
    }

    [Fact]
    public void Read_header_reports_everything_without_the_data()
    {
        const string header = """{"__metadata__":{"step":"12"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"I8","shape":[4],"data_offsets":[24,28]}}""";
        string path = Write(Build(header, new byte[28]));

        var h = SafeTensors.ReadHeader(path);

        Assert.Equal("12", h.Metadata["step"]);
        Assert.Equal(28, h.DataLength);
        Assert.Equal(0, h.HeaderLength % 8);
        var a = h.Find("a")!;
        Assert.Equal(("F32", ScalarType.Float32, 0L, 24L), (a.DType, a.ScalarType, a.DataBegin, a.DataEnd));
        Assert.Equal(new long[] { 2, 3 }, a.Shape);
        Assert.Equal(4, h.Find("b")!.ByteLength);
        Assert.Null(h.Find("c"));
    }

    private const string GoodHeader = """{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"I8","shape":[4],"data_offsets":[24,28]}}""";

    private static byte[] Good() => Build(GoodHeader, Enumerable.Range(0, 28).Select(i => (byte)i).ToArray());

    /// <summary>Every way in: path (Load and ReadHeader), bytes, seekable and forward-only streams.</summary>
    private void AssertRejected(byte[] bytes, params string[] messageParts)
    {
        string path = Write(bytes, "bad.safetensors");
        var errors = new List<CheckpointException>
        {
            Assert.Throws<CheckpointException>(() => SafeTensors.Load(path)),
            Assert.Throws<CheckpointException>(() => SafeTensors.ReadHeader(path)),
            Assert.Throws<CheckpointException>(() => SafeTensors.Load(bytes, source: "buffer")),
            Assert.Throws<CheckpointException>(() => SafeTensors.Load(new MemoryStream(bytes), source: "memory")),
            Assert.Throws<CheckpointException>(() => SafeTensors.Load(new NonSeekableStream(bytes), source: "socket")),
        };
        Assert.StartsWith(path, errors[0].Message);
        Assert.StartsWith(path, errors[1].Message);
        Assert.StartsWith("buffer", errors[2].Message);
        Assert.StartsWith("memory", errors[3].Message);
        Assert.StartsWith("socket", errors[4].Message);
        // A forward-only stream cannot know the length up front, so it may fail at a later point for another reason.
        foreach (var error in errors.Take(4))
        foreach (string part in messageParts)
            Assert.Contains(part, error.Message);
    }

    [Fact]
    public void Truncation_anywhere_is_a_checkpoint_error()
    {
        byte[] good = Good();
        Assert.NotEmpty(SafeTensors.Load(good));
        foreach (int length in new[] { 0, 1, 7, 8, 9, 60, good.Length - 28, good.Length - 20, good.Length - 1 })
            AssertRejected(good[..length]);
    }

    [Fact]
    public void Truncated_data_names_the_tensor()
    {
        byte[] good = Good();
        AssertRejected(good[..^2], "tensor 'b'", "truncated");
    }

    [Fact]
    public void Header_length_beyond_the_file_is_rejected()
    {
        AssertRejected(Build(GoodHeader, new byte[28], declaredLength: 1000), "header length", "beyond");
        AssertRejected(Build(GoodHeader, new byte[28], declaredLength: ulong.MaxValue), "header length");
        AssertRejected(Build(GoodHeader, new byte[28], declaredLength: 1L << 40), "header length");
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]""")]
    [InlineData("""not json at all""")]
    [InlineData("""[1,2,3]""")]
    [InlineData("")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}} trailing""")]
    public void Invalid_json_is_rejected(string header) => AssertRejected(Build(header, new byte[24]), "header");

    [Fact]
    public void Invalid_utf8_header_is_rejected()
    {
        byte[] bytes = Build("""{"a\u00e9":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[4]);
        bytes[8 + 3] = 0xFF;
        AssertRejected(bytes, "header");
    }

    [Theory]
    [InlineData("""{"w":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}""", "unknown dtype")]
    [InlineData("""{"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}""", "unknown dtype")]
    [InlineData("""{"w":{"dtype":4,"shape":[2],"data_offsets":[0,8]}}""", "dtype")]
    [InlineData("""{"w":{"shape":[2],"data_offsets":[0,8]}}""", "dtype")]
    [InlineData("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", "needs 12 bytes")]
    [InlineData("""{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", "shape")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}""", "shape")]
    [InlineData("""{"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}""", "shape")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}""", "data_offsets")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", "data_offsets")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", "hole")]
    [InlineData("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "duplicate")]
    [InlineData("""{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}""", "overflow")]
    [InlineData("""{"w":[1,2]}""", "expected an object")]
    public void Bad_tensor_entries_name_the_tensor(string header, string problem) =>
        AssertRejected(Build(header, new byte[8]), "tensor 'w'", problem);

    [Fact]
    public void Overlapping_ranges_are_rejected()
    {
        const string header = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""";
        AssertRejected(Build(header, new byte[12]), "tensor 'b'", "overlap", "'a'");
    }

    [Fact]
    public void Ranges_beyond_the_data_are_rejected()
    {
        const string header = """{"a":{"dtype":"F32","shape":[6],"data_offsets":[0,24]}}""";
        AssertRejected(Build(header, new byte[16]), "tensor 'a'", "only 16 bytes");
    }

    [Fact]
    public void Trailing_bytes_after_the_data_are_rejected()
    {
        const string header = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        string path = Write(Build(header, new byte[12]));
        var error = Assert.Throws<CheckpointException>(() => SafeTensors.Load(path));
        Assert.Contains("trailing", error.Message);
        Assert.Equal(path, error.CheckpointSource);
    }

    [Theory]
    [InlineData("""{"__metadata__":{"k":1}}""", "__metadata__.k")]
    [InlineData("""{"__metadata__":[1]}""", "__metadata__")]
    [InlineData("""{"__metadata__":{"k":"v"},"__metadata__":{"k":"v"}}""", "twice")]
    public void Bad_metadata_is_rejected(string header, string problem) => AssertRejected(Build(header, []), problem);

    [Fact]
    public void Every_single_byte_flip_in_the_header_either_loads_or_is_a_checkpoint_error()
    {
        byte[] good = Good();
        for (int i = 0; i < good.Length - 28; i++)
        {
            byte[] bad = (byte[])good.Clone();
            bad[i] ^= 0x5A;
            try
            {
                foreach (var t in SafeTensors.Load(bad).Values) t.Dispose();
            }
            catch (CheckpointException)
            {
            }
        }
    }

    [Fact]
    public void Missing_file_is_not_mistaken_for_a_corrupt_one() =>
        Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(_folder.File("absent.safetensors")));
}
