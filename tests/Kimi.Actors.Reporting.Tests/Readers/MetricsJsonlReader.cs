using System.Text;
using System.Text.Json;
using Kimi.Actors.Reporting;

namespace Kimi.Actors.Reporting.Tests;

/// <summary>Reads back the numeric fields of a metrics file that <see cref="MetricsJsonlWriter"/> wrote (for tests: the run itself never reads it).</summary>
public static class MetricsJsonlReader
{
    /// <summary>
    /// One dictionary per line with every numeric field (and "NaN"/"Infinity" strings as numbers); other fields are
    /// left out. A malformed line raises <see cref="InvalidDataException"/> naming the file and line, except a last
    /// line without its newline, which a run killed mid-write can leave and which is skipped.
    /// </summary>
    public static IReadOnlyList<Dictionary<string, double>> ReadNumericRows(string path)
    {
        string text = File.ReadAllText(path, Encoding.UTF8);
        var lines = text.Split('\n');
        var rows = new List<Dictionary<string, double>>();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0) continue;
            bool unterminated = i == lines.Length - 1;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException("not a JSON object");
                var row = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var property in doc.RootElement.EnumerateObject())
                    if (TryNumber(property.Value, out double value)) row[property.Name] = value;
                rows.Add(row);
            }
            catch (JsonException e) when (!unterminated)
            {
                throw new InvalidDataException($"{path}: line {i + 1}: {e.Message}", e);
            }
            catch (JsonException)
            {
                // A torn final line: everything before it is intact.
            }
        }
        return rows;
    }

    private static bool TryNumber(JsonElement element, out double value)
    {
        value = 0;
        return element.ValueKind switch
        {
            JsonValueKind.Number => element.TryGetDouble(out value),
            JsonValueKind.String => element.GetString() switch
            {
                "NaN" => Set(double.NaN, out value),
                "Infinity" => Set(double.PositiveInfinity, out value),
                "-Infinity" => Set(double.NegativeInfinity, out value),
                _ => false,
            },
            _ => false,
        };
    }

    private static bool Set(double v, out double value)
    {
        value = v;
        return true;
    }
}
