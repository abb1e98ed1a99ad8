using System.Buffers.Binary;
using Kimi.Actors.Rl.Reporting;
using TorchSharp;

namespace Kimi.Actors.Rl.Tests.Reporting;

public sealed class TensorBoardTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>Record payloads, framing checked independently of the code under test.</summary>
    private static List<byte[]> Records(string file)
    {
        byte[] bytes = File.ReadAllBytes(file);
        var records = new List<byte[]>();
        for (int p = 0; p < bytes.Length;)
        {
            int length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(p)));
            Assert.Equal(Masked(bytes.AsSpan(p, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(p + 8)));
            records.Add(bytes.AsSpan(p + 12, length).ToArray());
            Assert.Equal(Masked(records[^1]), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(p + 12 + length)));
            p += 16 + length;
        }
        return records;
    }

    private static uint Masked(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32.Castagnoli.Compute(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    [Fact]
    public void File_is_named_for_tensorboard_and_starts_with_the_file_version()
    {
        using var writer = new TensorBoardWriter(Path.Combine(_folder.Path, "run"));
        string name = Path.GetFileName(writer.FilePath);
        Assert.Matches(@"^events\.out\.tfevents\.\d{10}\." + System.Text.RegularExpressions.Regex.Escape(Environment.MachineName) + "$", name);

        var first = Tensorboard.Event.Parser.ParseFrom(Records(writer.FilePath).Single());
        Assert.Equal("brain.Event:2", first.FileVersion);
        Assert.InRange(first.WallTime, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60);
    }

    [Fact]
    public void Scalars_decode_with_the_reference_protobuf_classes()
    {
        var time = new DateTimeOffset(2025, 1, 2, 3, 4, 5, 250, TimeSpan.Zero);
        using (var writer = new TensorBoardWriter(_folder.Path))
        {
            writer.AddScalar("train/reward", 0.75f, 12, time);
            writer.AddScalar("neg", -3.5f, -1, time);
            writer.AddScalars([new("a", 1.0), new("b", 2.0)], 1L << 40, time);
        }
        var events = Records(Directory.GetFiles(_folder.Path).Single()).Skip(1).Select(Tensorboard.Event.Parser.ParseFrom).ToList();

        Assert.Equal(time.ToUnixTimeMilliseconds() / 1000.0, events[0].WallTime);
        Assert.Equal(12, events[0].Step);
        var value = events[0].Summary.Value.Single();
        Assert.Equal(("train/reward", 0.75f), (value.Tag, value.SimpleValue));
        Assert.Equal(-1, events[1].Step);
        Assert.Equal(-3.5f, events[1].Summary.Value.Single().SimpleValue);
        Assert.Equal(1L << 40, events[2].Step);
        Assert.Equal(["a", "b"], events[2].Summary.Value.Select(v => v.Tag));
    }

    [Fact]
    public void Event_bytes_are_the_expected_protobuf()
    {
        using (var writer = new TensorBoardWriter(_folder.Path))
            writer.AddScalar("a", 2.0f, 3, DateTimeOffset.FromUnixTimeMilliseconds(1500));
        byte[] expected =
        [
            0x09, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F, // wall_time = 1.5 (field 1, fixed64)
            0x10, 0x03, // step = 3 (field 2, varint)
            0x2A, 0x0A, 0x0A, 0x08, // summary (field 5) { value (field 1) {
            0x0A, 0x01, (byte)'a', // tag = "a"
            0x15, 0, 0, 0, 0x40, // simple_value = 2.0f (field 2, fixed32) }}
        ];
        Assert.Equal(expected, Records(Directory.GetFiles(_folder.Path).Single())[1]);
    }

    [Fact]
    public void Reader_returns_what_the_writer_wrote()
    {
        string file;
        using (var writer = new TensorBoardWriter(_folder.Path))
        {
            for (int step = 0; step < 100; step++) writer.AddScalar(step % 2 == 0 ? "even" : "odd", step * 0.5f, step);
            file = writer.FilePath;
        }
        var scalars = TensorBoardReader.ReadScalars(file);
        Assert.Equal(100, scalars.Count);
        Assert.Equal(("odd", 37L, 18.5f), (scalars[37].Tag, scalars[37].Step, scalars[37].Value));
    }

    [Fact]
    public void Records_are_on_disk_before_dispose_or_flush()
    {
        // As if the process were killed now: nothing is held in a buffer.
        var writer = new TensorBoardWriter(_folder.Path);
        writer.AddScalar("x", 1, 1);
        writer.AddScalar("x", 2, 2);
        Assert.Equal([1f, 2f], TensorBoardReader.ReadScalars(writer.FilePath).Select(s => s.Value));
        writer.Flush();
        writer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => writer.AddScalar("x", 3, 3));
    }

    [Fact]
    public void Writers_started_together_get_separate_files()
    {
        using var a = new TensorBoardWriter(_folder.Path);
        using var b = new TensorBoardWriter(_folder.Path);
        using var c = new TensorBoardWriter(_folder.Path);
        Assert.Equal(3, new[] { a.FilePath, b.FilePath, c.FilePath }.Distinct().Count());
    }

    [Fact]
    public void Reader_accepts_files_written_by_torchsharp()
    {
        var writer = torch.utils.tensorboard.SummaryWriter(_folder.Path, "ts", createRunName: false);
        writer.add_scalar("loss", 1.25f, 7);
        writer.add_scalar("loss", 0.5f, 8);
        string file = Directory.GetFiles(_folder.Path, "*tfevents*", SearchOption.AllDirectories).Single();

        var scalars = TensorBoardReader.ReadScalars(file);
        Assert.Equal([("loss", 7L, 1.25f), ("loss", 8L, 0.5f)], scalars.Select(s => (s.Tag, s.Step, s.Value)));
    }

    private string WriteSample()
    {
        using var writer = new TensorBoardWriter(_folder.Path);
        writer.AddScalar("a", 1, 1);
        writer.AddScalar("b", 2, 2);
        return writer.FilePath;
    }

    [Theory]
    [InlineData(3, "length CRC")] // inside the first record's length
    [InlineData(9, "length CRC")] // the length's CRC itself
    [InlineData(20, "data CRC")] // inside the first record's data
    public void Corrupt_bytes_are_reported(int offset, string problem)
    {
        string file = WriteSample();
        byte[] bytes = File.ReadAllBytes(file);
        bytes[offset] ^= 0x10;
        File.WriteAllBytes(file, bytes);

        var error = Assert.Throws<InvalidDataException>(() => TensorBoardReader.ReadScalars(file));
        Assert.Contains(file, error.Message);
        Assert.Contains("record 0", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Corruption_in_a_later_record_names_it()
    {
        string file = WriteSample();
        byte[] bytes = File.ReadAllBytes(file);
        bytes[^2] ^= 0x01;
        File.WriteAllBytes(file, bytes);
        var error = Assert.Throws<InvalidDataException>(() => TensorBoardReader.ReadScalars(file));
        Assert.Contains("record 2", error.Message);
    }

    [Fact]
    public void Truncated_files_are_reported_at_every_cut()
    {
        string file = WriteSample();
        byte[] bytes = File.ReadAllBytes(file);
        var boundaries = new HashSet<int> { 0 };
        for (int p = 0; p < bytes.Length; p += 16 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(p)))
            boundaries.Add(p);
        for (int cut = 1; cut < bytes.Length; cut++)
        {
            if (boundaries.Contains(cut)) continue;
            File.WriteAllBytes(file, bytes[..cut]);
            var error = Assert.Throws<InvalidDataException>(() => TensorBoardReader.ReadScalars(file));
            Assert.Contains(file, error.Message);
        }
    }

    [Fact]
    public void A_record_that_is_not_an_event_is_reported()
    {
        string file = _folder.File("events.out.tfevents.bad");
        // A well-framed record whose payload claims a 100-byte string it does not hold.
        byte[] payload = [0x1A, 100, 1, 2];
        byte[] record = new byte[16 + payload.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(record, (ulong)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), Masked(record.AsSpan(0, 8)));
        payload.CopyTo(record, 12);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12 + payload.Length), Masked(payload));
        File.WriteAllBytes(file, record);

        var error = Assert.Throws<InvalidDataException>(() => TensorBoardReader.ReadScalars(file));
        Assert.Contains("malformed Event", error.Message);
    }
}
