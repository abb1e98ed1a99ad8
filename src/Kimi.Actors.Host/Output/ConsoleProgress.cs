using System.Globalization;
using Kimi.Actors.Reporting;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Host.Output;

/// <summary>
/// Progress on stderr: warm-up SFT steps and RL iterations as a live Spectre.Console bar when stderr is a terminal,
/// otherwise (CI, tests, pipes) plain lines every few steps; each held-out evaluation as its own lines.
/// </summary>
public sealed class ConsoleProgress : ITrainingObserver, IDisposable
{
    private readonly ProgressDisplay _display;
    private int _stepsInPhase;

    /// <param name="interactive">Forces the mode; by default live only when <paramref name="output"/> is a terminal's stderr.</param>
    public ConsoleProgress(TextWriter? output = null, bool? interactive = null, TimeSpan? plainInterval = null) =>
        _display = new ProgressDisplay(ReportConsole.For(output ?? Console.Error, interactive), plainInterval);

    public void OnPhase(string phase, int totalSteps)
    {
        _stepsInPhase = 0;
        _display.Begin(phase, phase switch
        {
            "sft" => $"warm-up SFT: {totalSteps} steps",
            "rl" => $"reinforcement learning: {totalSteps} iterations",
            _ => phase,
        }, totalSteps);
    }

    public void OnSftStep(SftStepStats s) =>
        _display.Update(s.Step + 1, string.Create(CultureInfo.InvariantCulture, $"loss {s.Loss:F3}  lr {s.LearningRate:G3}"));

    public void OnIteration(IterationMetrics m)
    {
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"reward {m.RewardMean:F3}  acc {m.Accuracy:F3}  len {m.ResponseLengthMean:F1}  |log-ratio| {m.LogRatioAbsMean:F3}  {m.IterationSeconds:F1}s/it");
        if (m.ValidationAccuracy is { } h) detail += string.Create(CultureInfo.InvariantCulture, $"  validation {h:F3}");
        // Counted within the phase: a resumed run's first iteration is not iteration 0.
        _display.Update(++_stepsInPhase, detail, force: m.ValidationAccuracy is not null);
    }

    public void OnEvaluation(string label, int iteration, HeldOutEvaluation evaluation)
    {
        foreach (var report in new[] { evaluation.Primary, evaluation.PrimaryMetric == PrimaryMetric.Sampled ? evaluation.Greedy : evaluation.Sampled })
        {
            var slices = string.Join("  ", report.ByDifficulty.Select(p => string.Create(CultureInfo.InvariantCulture, $"d{p.Key} {p.Value.Accuracy:F3}")));
            _display.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{SetName(label)} {report.Mode} {When(label)} (iteration {iteration}): {report.Accuracy:F3} on {report.Prompts} prompts  [{slices}]  {report.Elapsed.TotalSeconds:F1} s"));
        }
    }

    private static string SetName(string label) => label == LocalRunEngine.ValidationLabel ? "validation" : "test";

    private static string When(string label) => label switch
    {
        LocalRunEngine.SftLabel => "after sft",
        LocalRunEngine.FinalLabel => "after rl",
        _ => "during rl",
    };

    /// <summary>Something the run says that does not stop it (a worker or session restarted, a fallback from a damaged checkpoint).</summary>
    public void OnWarning(string message) => _display.WriteLine("warning: " + message);

    public void Dispose() => _display.Dispose();
}
