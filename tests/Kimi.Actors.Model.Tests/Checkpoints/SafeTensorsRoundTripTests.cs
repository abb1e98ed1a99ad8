using Kimi.Actors.Model.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Tests.Checkpoints;

public sealed class SafeTensorsRoundTripTests : IDisposable
{
    private readonly CheckpointFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<ScalarType> AllDTypes => new()
    {
        ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16, ScalarType.Float64, ScalarType.Int64,
        ScalarType.Int32, ScalarType.Int16, ScalarType.Int8, ScalarType.Byte, ScalarType.Bool,
    };

    /// <summary>Random bit patterns (including NaN payloads and denormals for floats) in every shape of interest.</summary>
    private static Dictionary<string, Tensor> Sample(ScalarType type, int seed)
    {
        var random = new Random(seed);
        Tensor Make(params long[] shape)
        {
            var t = empty(shape, type);
            random.NextBytes(t.bytes);
            if (type == ScalarType.Bool)
            {
                var span = t.bytes;
                for (int i = 0; i < span.Length; i++) span[i] &= 1;
            }
            return t;
        }
        return new Dictionary<string, Tensor>
        {
            ["matrix"] = Make(3, 5),
            ["cube"] = Make(2, 3, 4),
            ["scalar"] = Make(),
            ["empty"] = Make(0, 7),
            ["vector"] = Make(11),
        };
    }

    private static void AssertBitwiseEqual(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, e) in expected)
        {
            var a = actual[name];
            Assert.Equal(e.dtype, a.dtype);
            Assert.Equal(e.shape, a.shape);
            using var contiguous = e.contiguous();
            Assert.True(contiguous.bytes.SequenceEqual(a.bytes), $"bytes of '{name}' differ");
        }
    }

    [Theory]
    [MemberData(nameof(AllDTypes))]
    public void File_round_trip_is_bitwise_exact(ScalarType type)
    {
        var tensors = Sample(type, seed: (int)type);
        string path = _folder.File("nested", "model.safetensors");

        SafeTensors.Save(path, tensors);
        var loaded = SafeTensors.Load(path);

        AssertBitwiseEqual(tensors, loaded);
        Assert.False(File.Exists(path + ".tmp"));
        Assert.Equal(0, loaded["scalar"].dim());
    }

    [Theory]
    [MemberData(nameof(AllDTypes))]
    public void Bytes_and_stream_round_trips_are_bitwise_exact(ScalarType type)
    {
        var tensors = Sample(type, seed: 100 + (int)type);
        byte[] bytes = SafeTensors.ToBytes(tensors);

        AssertBitwiseEqual(tensors, SafeTensors.Load(bytes));
        AssertBitwiseEqual(tensors, SafeTensors.Load(new MemoryStream(bytes)));
        AssertBitwiseEqual(tensors, SafeTensors.Load(new NonSeekableStream(bytes)));
    }

    [Fact]
    public void Mixed_dtypes_land_in_one_file_with_aligned_data()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["a.bool"] = tensor(new[] { true, false, true }),
            ["b.bf16"] = randn(5).to(ScalarType.BFloat16),
            ["c.f64"] = randn(2, 2, dtype: ScalarType.Float64),
            ["d.i8"] = tensor(new sbyte[] { -1, 2, -3 }),
            ["e.f32"] = randn(3),
        };
        string path = _folder.File("mixed.safetensors");
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });

        var header = SafeTensors.ReadHeader(path);
        Assert.Equal(["c.f64", "e.f32", "b.bf16", "d.i8", "a.bool"], header.Tensors.Select(t => t.Name));
        Assert.Equal(0, header.DataOffset % 8);
        var elementSize = new Dictionary<string, int> { ["F64"] = 8, ["F32"] = 4, ["BF16"] = 2, ["I8"] = 1, ["BOOL"] = 1 };
        foreach (var info in header.Tensors)
            Assert.Equal(0, (header.DataOffset + info.DataBegin) % elementSize[info.DType]);
        AssertBitwiseEqual(tensors, SafeTensors.Load(path));
    }

    [Fact]
    public void Non_contiguous_views_and_parameters_are_saved_by_value()
    {
        using var baseTensor = arange(24, dtype: ScalarType.Float32).reshape(4, 6);
        var tensors = new Dictionary<string, Tensor>
        {
            ["transposed"] = baseTensor.t(),
            ["column"] = baseTensor[TensorIndex.Colon, TensorIndex.Single(3)],
            ["rows"] = baseTensor.narrow(0, 1, 2),
            ["broadcast"] = tensor(new[] { 1f, 2f }).expand(3, 2),
            ["parameter"] = randn(3, requires_grad: true),
        };
        var loaded = SafeTensors.Load(SafeTensors.ToBytes(tensors));
        foreach (var (name, t) in tensors)
            Assert.True(t.Equals(loaded[name]), name);
    }

    [Fact]
    public void Same_input_gives_the_same_bytes_whatever_the_dictionary_order()
    {
        var a = Sample(ScalarType.Float32, seed: 7);
        var reversed = a.Reverse().ToDictionary(p => p.Key, p => p.Value);
        var metadata = new Dictionary<string, string> { ["z"] = "1", ["a"] = "2" };
        var metadataReversed = metadata.Reverse().ToDictionary(p => p.Key, p => p.Value);

        Assert.Equal(SafeTensors.ToBytes(a, metadata), SafeTensors.ToBytes(reversed, metadataReversed));

        string first = _folder.File("1.safetensors"), second = _folder.File("2.safetensors");
        SafeTensors.Save(first, a, metadata);
        SafeTensors.Save(second, reversed, metadataReversed);
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }

    [Fact]
    public void Metadata_round_trips_including_non_ascii_and_escapes()
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["note"] = "quote \" backslash \\ newline \n unicode é ☃",
            ["empty"] = "",
        };
        string path = _folder.File("meta.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = ones(2) }, metadata);

        Assert.Equal(metadata.OrderBy(p => p.Key), SafeTensors.ReadHeader(path).Metadata.OrderBy(p => p.Key));
    }

    [Fact]
    public void Overwriting_replaces_the_file_and_leaves_no_temporary()
    {
        string path = _folder.File("w.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = zeros(3) });
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = ones(4) });

        Assert.True(ones(4).Equals(SafeTensors.Load(path)["w"]));
        Assert.Equal(["w.safetensors"], Directory.GetFiles(_folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Empty_dictionary_matches_the_reference_bytes()
    {
        Assert.Equal([8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 32, 32, 32, 32, 32, 32],
            SafeTensors.ToBytes(new Dictionary<string, Tensor>()));
        Assert.Empty(SafeTensors.Load(SafeTensors.ToBytes(new Dictionary<string, Tensor>())));
    }

    [Fact]
    public void Unsupported_inputs_are_argument_errors()
    {
        Assert.Throws<ArgumentException>(() => SafeTensors.ToBytes(new Dictionary<string, Tensor> { ["c"] = zeros(2, dtype: ScalarType.ComplexFloat32) }));
        Assert.Throws<ArgumentException>(() => SafeTensors.ToBytes(new Dictionary<string, Tensor> { ["__metadata__"] = zeros(2) }));
    }

    [Fact]
    public void Chunked_copies_cover_every_byte_in_order()
    {
        // Tensors over 2 GiB are copied in slices; tiny slices exercise the same path.
        using var source = arange(10, dtype: ScalarType.Int32);
        var written = new MemoryStream();
        TensorBytes.Write(written, source, maxChunkBytes: 12);
        Assert.Equal(source.bytes.ToArray(), written.ToArray());

        using var target = empty(10, ScalarType.Int32);
        Assert.True(TensorBytes.Read(new MemoryStream(written.ToArray()), target, maxChunkBytes: 12));
        Assert.True(source.Equals(target));
        Assert.False(TensorBytes.Read(new MemoryStream(written.ToArray()[..30]), target, maxChunkBytes: 12));
    }

    [Fact]
    public void Load_can_target_a_device()
    {
        var loaded = SafeTensors.Load(SafeTensors.ToBytes(new Dictionary<string, Tensor> { ["w"] = ones(3) }), CPU);
        Assert.Equal(DeviceType.CPU, loaded["w"].device_type);
    }
}
