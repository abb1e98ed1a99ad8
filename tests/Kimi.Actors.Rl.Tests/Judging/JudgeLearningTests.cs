using Kimi.Actors.Model;
using Kimi.Actors.Rl.Judging.ModelJudges;
using Kimi.Actors.Tasks;
using Xunit.Abstractions;

namespace Kimi.Actors.Rl.Tests.Judging;

/// <summary>
/// Both model judges, trained here from scratch for seconds, judge held-out labelled examples (questions whose canonical
/// forms training never saw) measurably better than always answering the larger class. The baseline is counted from the
/// held-out labels here, and each hit is counted here from the judge's verdicts, not taken from the accuracy report.
/// </summary>
public sealed class JudgeLearningTests(ITestOutputHelper output)
{
    // The running sums only: the shortest prompts, so both judges learn within a test's time on two shared cores.
    private static readonly JudgeExampleOptions Examples = new()
    {
        Families = ["sum"], TrainPromptsPerLevel = 120, HeldOutPromptsPerLevel = 20, VariantsPerPrompt = 4, Seed = 2,
    };

    [Theory]
    [InlineData(ModelJudgeKind.ValueHead)]
    [InlineData(ModelJudgeKind.ChainOfThought)]
    public void A_trained_judge_beats_the_majority_class_on_held_out_examples(ModelJudgeKind kind)
    {
        var split = Examples.Build();
        var trainForms = split.Train.Select(e => e.Canonical).ToHashSet();
        Assert.DoesNotContain(split.HeldOut, e => trainForms.Contains(e.Canonical));

        int positives = split.HeldOut.Count(e => e.Correct);
        double majority = (double)Math.Max(positives, split.HeldOut.Count - positives) / split.HeldOut.Count;

        var options = new JudgeTrainingOptions { Kind = kind, Examples = Examples, Steps = 300, BatchSize = 16, HiddenSize = 64, Layers = 2, MaxPositions = 160, MaxReasoningTokens = 64 };
        var trained = JudgeTrainer.Train(options, split.Train);
        using var judge = trained.Judge;
        var verdicts = judge.Judge(split.HeldOut.Select(JudgeTrainer.Query).ToList());
        double accuracy = split.HeldOut.Where((e, i) => verdicts[i].Correct == e.Correct).Count() / (double)split.HeldOut.Count;

        output.WriteLine($"{kind.Name()}: held-out accuracy {accuracy:0.000}, majority class {majority:0.000}, {split.HeldOut.Count} examples, {trained.Record.Seconds} s of training");
        // The report counts the same verdicts.
        var report = JudgeAccuracy.Measure(judge, split.HeldOut);
        Assert.Equal(accuracy, report.Overall.Accuracy, 6);
        Assert.Equal(majority, report.Chance, 6);
        Assert.True(accuracy >= majority + 0.08,
            $"{kind.Name()}: held-out accuracy {accuracy:0.000} vs majority class {majority:0.000} on {split.HeldOut.Count} examples ({trained.Record.Seconds} s of training, final loss {trained.Record.FinalLoss})");
    }
}
