using System.Buffers.Binary;
using System.Text.RegularExpressions;
using Tensorboard;

namespace Kimi.Actors.Reporting.Tests;

public sealed class TensorBoardTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string OnlyFile() => Directory.GetFiles(_folder.Path).Single();

    [Fact]
    public void File_is_named_for_tensorboard_and_starts_with_the_file_version_at_the_current_time()
    {
        using var writer = new TensorBoardWriter(Path.Combine(_folder.Path, "run"));
        Assert.Matches(@"^events\.out\.tfevents\.\d{10}\." + Regex.Escape(Environment.MachineName) + "$", Path.GetFileName(writer.FilePath));

        var first = TensorBoardReader.ReadEvents(writer.FilePath).Single();
        Assert.Equal("brain.Event:2", first.FileVersion);
        // Seconds since the epoch (TorchSharp 0.107 writes .NET ticks here).
        double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        Assert.InRange(first.WallTime, now - 60, now + 1);
    }

    [Fact]
    public void Scalars_read_back_with_their_tags_steps_values_and_wall_times()
    {
        var time = new DateTimeOffset(2025, 1, 2, 3, 4, 5, 250, TimeSpan.Zero);
        using (var writer = new TensorBoardWriter(_folder.Path))
        {
            writer.WriteScalar("train/reward", 0.75, 12, time);
            writer.WriteScalar("neg", -3.5, -1, time.AddMilliseconds(1));
            writer.WriteScalars([new("a", 1.0), new("b", 2.0)], 1L << 40, time.AddSeconds(1));
        }
        var scalars = TensorBoardReader.ReadScalars(OnlyFile());

        double seconds = 1735787045.25;   // 2025-01-02T03:04:05.250Z
        Assert.Equal(
            [("train/reward", 12L, 0.75f, seconds), ("neg", -1L, -3.5f, seconds + 0.001), ("a", 1L << 40, 1f, seconds + 1), ("b", 1L << 40, 2f, seconds + 1)],
            scalars.Select(s => (s.Tag, s.Step, s.Value, Math.Round(s.WallTime, 3))));
    }

    [Fact]
    public void Scalars_without_a_time_are_stamped_now_to_the_millisecond()
    {
        double before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        using (var writer = new TensorBoardWriter(_folder.Path)) writer.WriteScalar("x", 1, 1);
        double after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 + 0.001;
        var wall = TensorBoardReader.ReadScalars(OnlyFile()).Single().WallTime;
        Assert.InRange(wall, before, after);
        Assert.NotEqual(Math.Floor(wall), wall, 6);   // not whole seconds (a one-in-a-thousand chance of a false alarm)
    }

    [Fact]
    public void Text_is_a_string_tensor_for_the_text_plugin()
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_500);
        using (var writer = new TensorBoardWriter(_folder.Path))
        {
            writer.WriteScalar("rl/reward", 0.5, 3, time);
            writer.WriteText("hyperparameters", 4, "kimi.optimization.learning-rate: 3e-05 → 2e-05", time);
        }

        Assert.Equal([new TextEvent("hyperparameters", 4, "kimi.optimization.learning-rate: 3e-05 → 2e-05", 1_700_000_000.5)],
            TensorBoardReader.ReadTexts(OnlyFile()));
        var value = TensorBoardReader.ReadEvents(OnlyFile()).Last().Summary.Value.Single();
        Assert.Equal(("text", DataType.DtString, 1L), (value.Metadata.PluginData.PluginName, value.Tensor.Dtype, value.Tensor.TensorShape.Dim.Single().Size));
        Assert.Single(TensorBoardReader.ReadScalars(OnlyFile()));
    }

    [Fact]
    public void A_record_is_byte_for_byte_what_torchsharps_own_writer_frames()
    {
        // TorchSharp 0.107's SummaryWriter.add_scalar("a", 2.0f, 3, walltime: 1500) wrote this record (length, masked
        // CRC-32C of the length, Event{wall_time 1500, step 3, summary{value{tag "a", simple_value 2}}}, masked CRC).
        byte[] torchSharp =
        [
            0x17, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xE7, 0xCE, 0xF8, 0x1E,
            0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x70, 0x97, 0x40, 0x10, 0x03, 0x2A, 0x0A, 0x0A, 0x08, 0x0A, 0x01, 0x61,
            0x15, 0x00, 0x00, 0x00, 0x40,
            0x07, 0xF5, 0x04, 0xF4,
        ];
        using (var writer = new TensorBoardWriter(_folder.Path))
            writer.WriteScalar("a", 2.0, 3, DateTimeOffset.FromUnixTimeSeconds(1500));
        byte[] bytes = File.ReadAllBytes(OnlyFile());
        int first = 16 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(torchSharp, bytes[first..]);
    }

    [Fact]
    public void Records_are_on_disk_before_dispose_or_flush()
    {
        // As if the process were killed now: nothing is held in a buffer.
        var writer = new TensorBoardWriter(_folder.Path);
        writer.WriteScalar("x", 1, 1);
        writer.WriteScalar("x", 2, 2);
        Assert.Equal([1f, 2f], TensorBoardReader.ReadScalars(writer.FilePath).Select(s => s.Value));
        writer.Flush();
        writer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => writer.WriteScalar("x", 3, 3));
    }

    [Fact]
    public void Concurrent_writes_give_whole_records()
    {
        using (var writer = new TensorBoardWriter(_folder.Path))
            Parallel.For(0, 200, i => writer.WriteScalars(Enumerable.Range(0, 20).Select(k => new KeyValuePair<string, double>($"t{k}", i)), i));
        var scalars = TensorBoardReader.ReadScalars(OnlyFile());
        Assert.Equal(4000, scalars.Count);
        Assert.All(scalars, s => Assert.Equal(s.Step, (long)s.Value));
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
    public void Frame_lengths_and_crcs_follow_the_tfrecord_format()
    {
        byte[] record = TfRecord.Frame([1, 2, 3]);
        Assert.Equal(TfRecord.HeaderSize + 3 + TfRecord.FooterSize, record.Length);
        Assert.Equal(3ul, BinaryPrimitives.ReadUInt64LittleEndian(record));
        Assert.Equal([1, 2, 3], record[12..15]);
        // An empty payload: the masked CRC-32C of nothing is the mask's constant (CRC-32C of no bytes is 0).
        Assert.Equal(0xa282ead8u, BinaryPrimitives.ReadUInt32LittleEndian(TfRecord.Frame([]).AsSpan(12)));
    }

    [Theory]
    [InlineData(3, "length CRC")] // inside the first record's length
    [InlineData(9, "length CRC")] // the length's CRC itself
    [InlineData(20, "data CRC")] // inside the first record's data
    public void The_reader_reports_corrupt_bytes(int offset, string problem)
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
    public void The_reader_reports_a_truncated_file_at_every_cut()
    {
        string file = WriteSample();
        byte[] bytes = File.ReadAllBytes(file);
        var boundaries = new HashSet<int>();
        for (int p = 0; p < bytes.Length; p += 16 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(p))) boundaries.Add(p);
        for (int cut = 1; cut < bytes.Length; cut++)
        {
            if (boundaries.Contains(cut)) continue;
            File.WriteAllBytes(file, bytes[..cut]);
            Assert.Contains(file, Assert.Throws<InvalidDataException>(() => TensorBoardReader.ReadScalars(file)).Message);
        }
    }

    [Fact]
    public void The_reader_reports_a_record_that_is_not_an_event()
    {
        string file = _folder.File("events.out.tfevents.bad");
        // A well-framed record whose payload claims a 100-byte string it does not hold.
        File.WriteAllBytes(file, TfRecord.Frame([0x1A, 100, 1, 2]));
        Assert.Contains("malformed Event", Assert.Throws<InvalidDataException>(() => TensorBoardReader.ReadScalars(file)).Message);
    }

    private string WriteSample()
    {
        using var writer = new TensorBoardWriter(_folder.Path);
        writer.WriteScalar("a", 1, 1);
        writer.WriteScalar("b", 2, 2);
        return writer.FilePath;
    }
}
