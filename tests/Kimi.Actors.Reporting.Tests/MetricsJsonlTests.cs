using System.Text.Json;

namespace Kimi.Actors.Reporting.Tests;

public sealed class MetricsJsonlTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private sealed record IterationMetrics(int Iteration, double RewardMean, double ResponseLengthMean, string RunName);

    [Fact]
    public void Rows_are_single_json_lines_with_snake_case_or_given_keys()
    {
        string path = Path.Combine(_folder.Path, "nested", "metrics.jsonl");
        using (var writer = new MetricsJsonlWriter(path))
        {
            writer.Write(new IterationMetrics(1, 0.25, 123.5, "r"));
            writer.Write(new Dictionary<string, double> { ["accuracy_d1"] = 0.5, ["Mixed_Case"] = 1e-7 });
            writer.Write(new Dictionary<string, object> { ["nan"] = double.NaN, ["inf"] = double.PositiveInfinity, ["s"] = "text" });
        }

        string[] lines = File.ReadAllLines(path);
        Assert.Equal("""{"iteration":1,"reward_mean":0.25,"response_length_mean":123.5,"run_name":"r"}""", lines[0]);
        Assert.Equal("""{"accuracy_d1":0.5,"Mixed_Case":1E-07}""", lines[1]);
        Assert.Equal("""{"nan":"NaN","inf":"Infinity","s":"text"}""", lines[2]);
        Assert.All(lines, l => JsonDocument.Parse(l).Dispose());
    }

    [Fact]
    public void Lines_are_on_disk_at_once_and_later_writers_append()
    {
        string path = _folder.File("m.jsonl");
        var first = new MetricsJsonlWriter(path);
        first.Write(new Dictionary<string, int> { ["iteration"] = 1 });
        Assert.Single(File.ReadAllLines(path));
        first.Dispose();

        using (var second = new MetricsJsonlWriter(path))
            second.Write(new Dictionary<string, int> { ["iteration"] = 2 });
        Assert.Equal([1.0, 2.0], MetricsJsonlReader.ReadNumericRows(path).Select(r => r["iteration"]));
    }

    [Fact]
    public void Non_objects_are_refused()
    {
        using var writer = new MetricsJsonlWriter(_folder.File("m.jsonl"));
        Assert.Throws<ArgumentException>(() => writer.Write(new[] { 1, 2 }));
        Assert.Throws<ArgumentException>(() => writer.Write(3.0));
    }

    [Fact]
    public void Concurrent_writes_give_whole_lines()
    {
        string path = _folder.File("m.jsonl");
        using (var writer = new MetricsJsonlWriter(path))
            Parallel.For(0, 200, i => writer.Write(new Dictionary<string, object> { ["iteration"] = i, ["pad"] = new string('x', 500) }));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (double)i), MetricsJsonlReader.ReadNumericRows(path).Select(r => r["iteration"]).Order());
    }

    [Fact]
    public void Reader_keeps_numbers_and_named_floats_and_skips_a_torn_last_line()
    {
        string path = _folder.File("m.jsonl");
        File.WriteAllText(path, "{\"a\":1,\"b\":\"NaN\",\"c\":\"text\",\"d\":true}\n\n{\"a\":2,\"b\":-3.5}\n{\"a\":3,\"b");
        var rows = MetricsJsonlReader.ReadNumericRows(path);
        Assert.Equal(2, rows.Count);
        Assert.True(double.IsNaN(rows[0]["b"]));
        Assert.Equal(["a", "b"], rows[0].Keys.Order());
        Assert.Equal(-3.5, rows[1]["b"]);
    }

    [Fact]
    public void Reader_reports_a_malformed_inner_line()
    {
        string path = _folder.File("m.jsonl");
        File.WriteAllText(path, "{\"a\":1}\n{oops}\n{\"a\":2}\n");
        var error = Assert.Throws<InvalidDataException>(() => MetricsJsonlReader.ReadNumericRows(path));
        Assert.Contains("line 2", error.Message);
    }
}
