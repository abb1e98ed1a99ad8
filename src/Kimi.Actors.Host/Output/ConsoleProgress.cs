using System.Globalization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Host.Output;

/// <summary>
/// Progress on stderr: a redrawn bar when stderr is a terminal, otherwise a line every few steps (logs
/// and CI output stay readable).
/// </summary>
public sealed class ConsoleProgress : ITrainingObserver
{
    private readonly TextWriter _out;
    private readonly bool _interactive;
    private string _phase = "";
    private int _total;
    private int _iterationsInPhase;
    private DateTime _phaseStart = DateTime.UtcNow;
    private DateTime _lastLine = DateTime.MinValue;

    public ConsoleProgress(TextWriter? output = null, bool? interactive = null)
    {
        _out = output ?? Console.Error;
        _interactive = interactive ?? !Console.IsErrorRedirected;
    }

    public void OnPhase(string phase, int totalSteps)
    {
        EndLine();
        _phase = phase;
        _total = totalSteps;
        _iterationsInPhase = 0;
        _phaseStart = DateTime.UtcNow;
        _out.WriteLine(phase switch
        {
            "sft" => $"warm-up SFT: {totalSteps} steps",
            "rl" => $"reinforcement learning: {totalSteps} iterations",
            _ => phase,
        });
    }

    public void OnSftStep(SftStepStats s) =>
        Draw(s.Step + 1, string.Create(CultureInfo.InvariantCulture, $"loss {s.Loss:F3}  lr {s.LearningRate:G3}"));

    public void OnIteration(IterationMetrics m)
    {
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"reward {m.RewardMean:F3}  acc {m.Accuracy:F3}  len {m.ResponseLengthMean:F1}  |log-ratio| {m.LogRatioAbsMean:F3}  {m.IterationSeconds:F1}s/it");
        if (m.HeldOutAccuracy is { } h) detail += string.Create(CultureInfo.InvariantCulture, $"  held-out {h:F3}");
        // Counted within the phase: a resumed run's first iteration is not iteration 0.
        Draw(++_iterationsInPhase, detail, force: m.HeldOutAccuracy is not null);
    }

    public void OnEvaluation(string label, int iteration, HeldOutEvaluation evaluation)
    {
        EndLine();
        foreach (var report in new[] { evaluation.Primary, evaluation.PrimaryMetric == PrimaryMetric.Sampled ? evaluation.Greedy : evaluation.Sampled })
        {
            var slices = string.Join("  ", report.ByDifficulty.Select(p => string.Create(CultureInfo.InvariantCulture, $"d{p.Key} {p.Value.Accuracy:F3}")));
            _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"held-out {report.Mode} after {label} (iteration {iteration}): {report.Accuracy:F3} on {report.Prompts} prompts  [{slices}]"));
        }
    }

    private bool _open;

    private void Draw(int done, string detail, bool force = false)
    {
        var elapsed = DateTime.UtcNow - _phaseStart;
        var eta = done > 0 && _total > done ? TimeSpan.FromSeconds(elapsed.TotalSeconds / done * (_total - done)) : TimeSpan.Zero;
        const int width = 24;
        int filled = _total == 0 ? width : Math.Clamp((int)Math.Round(width * done / (double)_total), 0, width);
        string line = $"{_phase,-3} [{new string('#', filled)}{new string('.', width - filled)}] {done}/{_total}  {detail}  eta {eta:mm\\:ss}";
        if (_interactive)
        {
            _out.Write("\r" + line.PadRight(Math.Min(160, Math.Max(line.Length, 100))));
            _open = true;
            if (done == _total) EndLine();
        }
        else if (force || done == _total || done == 1 || DateTime.UtcNow - _lastLine > TimeSpan.FromSeconds(10))
        {
            _out.WriteLine(line);
            _lastLine = DateTime.UtcNow;
        }
    }

    private void EndLine()
    {
        if (_open) { _out.WriteLine(); _open = false; }
    }
}
