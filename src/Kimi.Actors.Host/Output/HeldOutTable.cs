using System.Globalization;
using Kimi.Actors.Reporting;
using Kimi.Actors.Rl.Evaluation;
using Spectre.Console;

namespace Kimi.Actors.Host.Output;

/// <summary>
/// The end-of-run table: held-out accuracy per difficulty and per domain after SFT and after RL, with the change,
/// and the greedy accuracy when the headline is sampled pass@1. A Spectre.Console table: rounded and coloured on a
/// terminal, Markdown (plain lines) otherwise.
/// </summary>
public static class HeldOutTable
{
    public static void Write(TextWriter output, HeldOutEvaluation sftEval, HeldOutEvaluation rlEval, bool? interactive = null)
    {
        var console = ReportConsole.For(output, interactive);
        var (sft, rl) = (sftEval.Primary, rlEval.Primary);
        var table = console.NewTable($"test {rl.Mode}", "prompts", "after SFT", "after RL", "change");

        void Row(string label, SliceAccuracy? before, SliceAccuracy? after, bool total = false)
        {
            double a = before?.Accuracy ?? 0, b = after?.Accuracy ?? 0, change = b - a;
            // Slice sizes in prompts (a sampled slice counts every sample).
            int prompts = (after?.Count ?? 0) * rl.Prompts / Math.Max(1, rl.Overall.Count);
            string changeText = change.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture);
            string colour = change > 0 ? "green" : change < 0 ? "red" : "default";
            string Cell(string text) => total ? $"[bold]{Markup.Escape(text)}[/]" : Markup.Escape(text);
            table.AddRow(Cell(label), Cell(prompts.ToString(CultureInfo.InvariantCulture)), Cell(a.ToString("F3", CultureInfo.InvariantCulture)),
                Cell(b.ToString("F3", CultureInfo.InvariantCulture)), $"[{colour}]{Cell(changeText)}[/]");
        }

        foreach (var d in sft.ByDifficulty.Keys.Union(rl.ByDifficulty.Keys).Order())
            Row($"difficulty {d}", sft.ByDifficulty.GetValueOrDefault(d), rl.ByDifficulty.GetValueOrDefault(d));
        foreach (var dom in sft.ByDomain.Keys.Union(rl.ByDomain.Keys).Order())
            Row($"domain {dom}", sft.ByDomain.GetValueOrDefault(dom), rl.ByDomain.GetValueOrDefault(dom));
        // Image against text prompts, when there are both.
        if (rl.ByModality.Count > 1)
            foreach (var modality in rl.ByModality.Keys.Order())
                Row($"{modality} prompts", sft.ByModality.GetValueOrDefault(modality), rl.ByModality.GetValueOrDefault(modality));
        Row("all", sft.Overall, rl.Overall, total: true);

        console.WriteLine("");
        console.Write(table);
        if (sftEval.PrimaryMetric == PrimaryMetric.Sampled)
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"greedy: {sftEval.Greedy.Accuracy:F3} after SFT, {rlEval.Greedy.Accuracy:F3} after RL"));
    }
}
