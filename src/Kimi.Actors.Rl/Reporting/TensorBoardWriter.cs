namespace Kimi.Actors.Rl.Reporting;

/// <summary>
/// Writes scalars to a TensorBoard event file, <c>events.out.tfevents.&lt;unix seconds&gt;.&lt;host&gt;</c>, in a folder.
/// Each record goes to the file in one unbuffered write, so a killed process leaves only complete records.
/// Safe to call from several threads.
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    private readonly FileStream _file;
    private readonly Lock _lock = new();

    /// <param name="logDirectory">Created if missing; point TensorBoard's --logdir at it (or a parent).</param>
    public TensorBoardWriter(string logDirectory)
    {
        Directory.CreateDirectory(logDirectory);
        var now = DateTimeOffset.UtcNow;
        string stem = Path.Combine(logDirectory, $"events.out.tfevents.{now.ToUnixTimeSeconds()}.{Environment.MachineName}");
        (_file, FilePath) = CreateUnique(stem);
        Append(new ProtobufWriter()
            .Double(TensorBoardEvent.WallTime, TensorBoardEvent.UnixSeconds(now))
            .String(TensorBoardEvent.FileVersion, TensorBoardEvent.FileVersionText));
    }

    public string FilePath { get; }

    /// <summary>Records <paramref name="value"/> under <paramref name="tag"/> at <paramref name="step"/>; time defaults to now.</summary>
    public void AddScalar(string tag, float value, long step, DateTimeOffset? time = null) =>
        AddScalars([new KeyValuePair<string, double>(tag, value)], step, time);

    /// <summary>Records several scalars of one step in a single event (values are stored as float, as TensorBoard does).</summary>
    public void AddScalars(IEnumerable<KeyValuePair<string, double>> values, long step, DateTimeOffset? time = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        var summary = new ProtobufWriter();
        foreach (var (tag, value) in values)
        {
            ArgumentNullException.ThrowIfNull(tag, nameof(values));
            summary.Message(TensorBoardEvent.SummaryValue, new ProtobufWriter()
                .String(TensorBoardEvent.ValueTag, tag)
                .Float(TensorBoardEvent.ValueSimpleValue, (float)value));
        }
        Append(new ProtobufWriter()
            .Double(TensorBoardEvent.WallTime, TensorBoardEvent.UnixSeconds(time ?? DateTimeOffset.UtcNow))
            .Varint(TensorBoardEvent.Step, step)
            .Message(TensorBoardEvent.Summary, summary));
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

    private void Append(ProtobufWriter eventMessage)
    {
        byte[] record = TfRecord.Frame(eventMessage.WrittenSpan);
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
