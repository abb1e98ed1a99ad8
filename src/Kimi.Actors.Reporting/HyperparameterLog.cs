using System.Globalization;
using System.Text;

namespace Kimi.Actors.Reporting;

/// <summary>
/// Hyperparameters (name → value as text) as a run's outputs show them: typed JSON values for metrics.jsonl and
/// <c>--json</c> replies, and the Markdown TensorBoard's Text dashboard renders, so a curve can be read against the
/// change that bent it.
/// </summary>
public static class HyperparameterLog
{
    /// <summary>The TensorBoard tag of the hyperparameter text.</summary>
    public const string Tag = "hyperparameters";

    /// <summary>A value as JSON would hold it: a number when it reads as one, true/false, else the text.</summary>
    public static object Typed(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) && double.IsFinite(number) ? number
        : value is "true" or "false" ? value == "true"
        : value;

    /// <summary>Every value typed, in the given order.</summary>
    public static Dictionary<string, object> Typed(IReadOnlyDictionary<string, string> values) =>
        values.ToDictionary(p => p.Key, p => Typed(p.Value), StringComparer.Ordinal);

    /// <summary>
    /// Markdown for the Text dashboard: at the first iteration every value; afterwards only what changed since
    /// <paramref name="before"/>, as <c>old → new</c>. Null when nothing changed.
    /// </summary>
    public static string? Markdown(IReadOnlyDictionary<string, string> now, IReadOnlyDictionary<string, string>? before, int iteration)
    {
        var changed = before is null ? now.ToList()
            : now.Where(p => !before.TryGetValue(p.Key, out var old) || old != p.Value).ToList();
        if (changed.Count == 0) return null;
        var sb = new StringBuilder();
        sb.Append(before is null ? $"In force from iteration {iteration}:" : $"Changed from iteration {iteration}:").Append("\n\n");
        sb.Append(before is null ? "| hyperparameter | value |\n| --- | --- |\n" : "| hyperparameter | was | now |\n| --- | --- | --- |\n");
        foreach (var (name, value) in changed)
            sb.Append("| ").Append(name).Append(" | ")
              .Append(before is null ? Cell(value) : Cell(before.GetValueOrDefault(name, "")) + " | " + Cell(value)).Append(" |\n");
        return sb.ToString();
    }

    private static string Cell(string value) => value.Length == 0 ? "(none)" : value.Replace("|", "\\|");
}
