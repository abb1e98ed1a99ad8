using Google.Protobuf;
using Tensorboard;

namespace Kimi.Actors.Reporting;

/// <summary>
/// Writes scalars and text to a TensorBoard event file, <c>events.out.tfevents.&lt;unix seconds&gt;.&lt;host&gt;</c>, in a
/// folder. Events are TorchSharp's generated <see cref="Event"/> protobuf messages; the file writer is ours because
/// TorchSharp 0.107's SummaryWriter takes int steps, stores whole-second wall times (and .NET ticks in its first
/// event), needs libtorch loaded for its CRC and writes each record in several writes. Here each record goes to the
/// file in one unbuffered write, so a killed process leaves only complete records. Safe to call from several threads.
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    /// <summary>The plugin TensorBoard's Text dashboard reads string tensors from.</summary>
    public const string TextPlugin = "text";

    private const string FileVersion = "brain.Event:2";

    private readonly FileStream _file;
    private readonly Lock _lock = new();

    /// <param name="logDirectory">Created if missing; point TensorBoard's --logdir at it (or a parent).</param>
    public TensorBoardWriter(string logDirectory)
    {
        Directory.CreateDirectory(logDirectory);
        var now = DateTimeOffset.UtcNow;
        string stem = Path.Combine(logDirectory, $"events.out.tfevents.{now.ToUnixTimeSeconds()}.{Environment.MachineName}");
        (_file, FilePath) = CreateUnique(stem);
        Append(new Event { WallTime = UnixSeconds(now), FileVersion = FileVersion });
    }

    public string FilePath { get; }

    /// <summary>Records <paramref name="value"/> under <paramref name="tag"/> at <paramref name="step"/>; time defaults to now.</summary>
    public void WriteScalar(string tag, double value, long step, DateTimeOffset? time = null) =>
        WriteScalars([new KeyValuePair<string, double>(tag, value)], step, time);

    /// <summary>Records several scalars of one step in a single event (values are stored as float, as TensorBoard does).</summary>
    public void WriteScalars(IEnumerable<KeyValuePair<string, double>> values, long step, DateTimeOffset? time = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        var summary = new Summary();
        foreach (var (tag, value) in values)
        {
            ArgumentNullException.ThrowIfNull(tag, nameof(values));
            summary.Value.Add(new Summary.Types.Value { Tag = tag, SimpleValue = (float)value });
        }
        Append(new Event { WallTime = UnixSeconds(time ?? DateTimeOffset.UtcNow), Step = step, Summary = summary });
    }

    /// <summary>
    /// Records <paramref name="text"/> (Markdown, as TensorBoard's Text dashboard renders it) under <paramref name="tag"/>
    /// at <paramref name="step"/>: a one-element string tensor for the text plugin, as PyTorch's add_text writes it.
    /// </summary>
    public void WriteText(string tag, long step, string text, DateTimeOffset? time = null)
    {
        ArgumentNullException.ThrowIfNull(tag);
        ArgumentNullException.ThrowIfNull(text);
        var tensor = new TensorProto { Dtype = DataType.DtString, TensorShape = new TensorShapeProto() };
        tensor.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 1 });
        tensor.StringVal.Add(ByteString.CopyFromUtf8(text));
        var value = new Summary.Types.Value
        {
            Tag = tag, Tensor = tensor,
            Metadata = new SummaryMetadata { PluginData = new SummaryMetadata.Types.PluginData { PluginName = TextPlugin } },
        };
        Append(new Event { WallTime = UnixSeconds(time ?? DateTimeOffset.UtcNow), Step = step, Summary = new Summary { Value = { value } } });
    }

    /// <summary>Forces written records to disk (they are already visible to readers without it).</summary>
    public void Flush()
    {
        lock (_lock) _file.Flush(flushToDisk: true);
    }

    public void Dispose()
    {
        lock (_lock) _file.Dispose();
    }

    /// <summary>Seconds since the Unix epoch, with sub-second precision, as Event.wall_time holds them.</summary>
    private static double UnixSeconds(DateTimeOffset time) =>
        (time.UtcTicks - DateTime.UnixEpoch.Ticks) / (double)TimeSpan.TicksPerSecond;

    private void Append(Event e)
    {
        byte[] record = TfRecord.Frame(e.ToByteArray());
        lock (_lock) _file.Write(record);
    }

    /// <summary>A second writer started in the same second in the same folder gets a numbered name instead of clobbering.</summary>
    private static (FileStream, string) CreateUnique(string stem)
    {
        for (int attempt = 0; ; attempt++)
        {
            string path = attempt == 0 ? stem : $"{stem}.{attempt}";
            try
            {
                return (new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0), path);
            }
            catch (IOException) when (File.Exists(path) && attempt < 1000)
            {
            }
        }
    }
}
