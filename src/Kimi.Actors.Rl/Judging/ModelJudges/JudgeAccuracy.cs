using System.Diagnostics;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Judging.ModelJudges;

/// <summary>Correct verdicts out of examples judged, for one group (a family, a kind of response, or all), and how many of them are labelled correct.</summary>
public sealed record AccuracyCount(int Correct, int Total, int Positives)
{
    public double Accuracy => Total == 0 ? double.NaN : (double)Correct / Total;

    /// <summary>What always answering the group's larger class scores.</summary>
    public double Majority => Total == 0 ? double.NaN : (double)Math.Max(Positives, Total - Positives) / Total;
}

/// <summary>
/// A judge measured on labelled examples: accuracy overall, by family and by kind of response; the chance level (the
/// share of the larger class, what always answering it scores); verdicts the judge could not give (a malformed or
/// unfinished chain of thought, a response too long) and the judging time.
/// </summary>
public sealed record JudgeAccuracyReport(
    ModelJudgeKind Kind, AccuracyCount Overall, IReadOnlyDictionary<string, AccuracyCount> ByFamily,
    IReadOnlyDictionary<JudgeExampleKind, AccuracyCount> ByKind, double Chance, int Unreadable, TimeSpan Elapsed);

public static class JudgeAccuracy
{
    /// <summary>Judges every example (in batches) and counts verdicts that match the label.</summary>
    public static JudgeAccuracyReport Measure(ModelJudge judge, IReadOnlyList<JudgeExample> examples, int batchSize = 64)
    {
        if (examples.Count == 0) throw new ArgumentException("no examples to measure on");
        var sw = Stopwatch.StartNew();
        var verdicts = new List<JudgeVerdict>(examples.Count);
        foreach (var chunk in examples.Chunk(batchSize)) verdicts.AddRange(judge.Judge(chunk.Select(JudgeTrainer.Query).ToList()));
        var hits = examples.Select((e, i) => verdicts[i].Correct == e.Correct).ToArray();
        AccuracyCount Count(IEnumerable<int> indices)
        {
            var list = indices.ToList();
            return new AccuracyCount(list.Count(i => hits[i]), list.Count, list.Count(i => examples[i].Correct));
        }
        var all = Enumerable.Range(0, examples.Count).ToList();
        int unreadable = verdicts.Count(v => !v.Judged);
        var overall = Count(all);
        return new JudgeAccuracyReport(judge.Kind, overall,
            examples.Select(e => e.Family).Distinct().ToDictionary(f => f, f => Count(all.Where(i => examples[i].Family == f))),
            examples.Select(e => e.Kind).Distinct().Order().ToDictionary(k => k, k => Count(all.Where(i => examples[i].Kind == k))),
            overall.Majority, unreadable, sw.Elapsed);
    }
}
