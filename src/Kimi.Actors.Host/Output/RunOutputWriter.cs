using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Reporting;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Host.Output;

/// <summary>
/// Writes a run's measurements as they happen: metrics.jsonl (one line per RL iteration), sft.jsonl,
/// TensorBoard event files in the run folder, and PNG charts when the run ends.
/// </summary>
public sealed class RunOutputWriter : ITrainingObserver, IDisposable
{
    private readonly RunFolder _folder;
    private readonly MetricsJsonlWriter _metrics;
    private readonly MetricsJsonlWriter _sft;
    private readonly TensorBoardWriter _tensorBoard;
    private readonly List<IReadOnlyDictionary<string, double>> _rows = [];
    private readonly SortedDictionary<int, HeldOutPoint> _learningCurve = [];
    private readonly SortedDictionary<int, HeldOutPoint> _modalityCurve = [];
    private string _accuracyLabel = "held-out accuracy";

    /// <summary>Time in warm-up SFT steps and in RL iterations (excluding evaluations) seen by this writer.</summary>
    public double SftSeconds { get; private set; }
    public double RlSeconds { get; private set; }

    public RunOutputWriter(RunFolder folder)
    {
        _folder = folder;
        _metrics = new MetricsJsonlWriter(folder.File("metrics.jsonl"));
        _sft = new MetricsJsonlWriter(folder.File("sft.jsonl"));
        _tensorBoard = new TensorBoardWriter(folder.Path);
    }

    public void OnSftStep(SftStepStats s)
    {
        SftSeconds += s.Elapsed.TotalSeconds;
        _sft.Write(new Dictionary<string, double>
        {
            ["step"] = s.Step, ["loss"] = s.Loss, ["learning_rate"] = s.LearningRate, ["documents"] = s.Documents,
            ["target_tokens"] = s.TargetTokens, ["seconds"] = s.Elapsed.TotalSeconds,
        });
        _tensorBoard.WriteScalars([new("sft/loss", s.Loss), new("sft/learning_rate", s.LearningRate)], s.Step);
    }

    public void OnSftComplete(LlamaForCausalLM policy) =>
        PolicyCheckpoint.Save(_folder.File("checkpoints/sft"), policy, new Dictionary<string, string> { ["stage"] = "sft" });

    public void OnEvaluation(string label, int iteration, HeldOutEvaluation evaluation)
    {
        var report = evaluation.Primary;
        var values = new Dictionary<string, double>
        {
            ["heldout/accuracy"] = report.Accuracy,
            ["heldout/greedy_accuracy"] = evaluation.Greedy.Accuracy,
            ["heldout/sampled_accuracy"] = evaluation.Sampled.Accuracy,
        };
        foreach (var (d, a) in report.ByDifficulty) values[$"heldout/accuracy_d{d}"] = a.Accuracy;
        foreach (var (dom, a) in report.ByDomain) values[$"heldout/accuracy_{dom}"] = a.Accuracy;
        foreach (var (modality, a) in report.ByModality) values[$"heldout/accuracy_{modality}_prompts"] = a.Accuracy;
        _tensorBoard.WriteScalars(values, iteration);
        _learningCurve[iteration] = new HeldOutPoint(iteration, report.Accuracy,
            report.ByDifficulty.ToDictionary(p => $"d{p.Key}", p => p.Value.Accuracy));
        _accuracyLabel = $"held-out {report.Mode}";
        if (report.ByModality.ContainsKey(EvaluationReport.Image))
            _modalityCurve[iteration] = new HeldOutPoint(iteration, report.Accuracy, ModalitySlices(report));
    }

    public void OnIteration(IterationMetrics m)
    {
        RlSeconds += m.IterationSeconds;
        var row = m.ToRow();
        _metrics.Write(row);
        _rows.Add(row);
        _tensorBoard.WriteScalars(row.Where(p => p.Key != "iteration").Select(p => new KeyValuePair<string, double>("rl/" + p.Key, p.Value)), m.Iteration + 1);
    }

    /// <summary>
    /// Charts of the whole run: the held-out learning curve (overall and per difficulty at every evaluation: after SFT,
    /// every eval.every-iterations, final), and reward, response length and log ratio after each iteration.
    /// </summary>
    public IReadOnlyList<string> WriteCharts()
    {
        // Iteration i's metrics describe the policy after it, the one evaluated at step i + 1.
        var rows = _rows.Select(r => (IReadOnlyDictionary<string, double>)new Dictionary<string, double>(r) { [RunCharts.IterationKey] = r["iteration"] + 1 })
            .ToList();
        var written = RunCharts.WriteStandardCharts(_folder.Path, rows, _learningCurve.Values.ToList(), _accuracyLabel).ToList();
        if (_modalityCurve.Count > 0)
            written.Add(RunCharts.WriteLearningCurve(_folder.Path, ModalityChart, "Held-out accuracy: image vs text prompts",
                _modalityCurve.Values.ToList(), _accuracyLabel, overall: null));
        return written;
    }

    /// <summary>The chart of a run with image prompts: image and text prompts, then each domain.</summary>
    public const string ModalityChart = "accuracy_by_modality.png";

    private static Dictionary<string, double> ModalitySlices(EvaluationReport report)
    {
        var slices = report.ByModality.OrderBy(p => p.Key == EvaluationReport.Image ? 0 : 1)
            .ToDictionary(p => $"{p.Key} prompts", p => p.Value.Accuracy);
        foreach (var (domain, a) in report.ByDomain) slices[domain] = a.Accuracy;
        return slices;
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _sft.Dispose();
        _tensorBoard.Dispose();
    }
}
