using System.Text.Json;

namespace Kimi.Actors.Reporting;

/// <summary>
/// Appends one JSON object per line to a metrics file (JSON Lines), creating its folder. Each line is written and
/// flushed in one call, so a killed run leaves whole lines. Dictionary keys are written as given; record and class
/// properties become snake_case. Numbers are culture-invariant; NaN and infinities are written as "NaN",
/// "Infinity" and "-Infinity" strings (JSON has no literal for them). Safe to call from several threads.
/// </summary>
public sealed class MetricsJsonlWriter : IDisposable
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
    };

    private readonly FileStream _file;
    private readonly Lock _lock = new();

    public MetricsJsonlWriter(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        _file = new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
        Path = full;
    }

    public string Path { get; }

    /// <summary>Writes <paramref name="row"/> (a dictionary, record or other object) as one line.</summary>
    public void Write<T>(T row) where T : notnull
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(row, row.GetType(), Options);
        if (line.Length == 0 || line[0] != (byte)'{')
            throw new ArgumentException($"a metrics row must serialize to a JSON object, not {typeof(T).Name}", nameof(row));
        var bytes = new byte[line.Length + 1];
        line.CopyTo(bytes, 0);
        bytes[^1] = (byte)'\n';
        lock (_lock) _file.Write(bytes);
    }

    public void Dispose()
    {
        lock (_lock) _file.Dispose();
    }
}
