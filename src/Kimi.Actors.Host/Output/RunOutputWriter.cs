using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Reporting;
using Kimi.Actors.Rl.Runs;
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
    private readonly SortedDictionary<int, HeldOutPoint> _validationCurve = [];
    private readonly SortedDictionary<int, HeldOutPoint> _testPoints = [];
    // Image against text prompts, and per domain, of runs with image prompts: a curve per set, as the learning curve.
    private readonly SortedDictionary<int, HeldOutPoint> _validationModality = [];
    private readonly SortedDictionary<int, HeldOutPoint> _testModality = [];
    private string _accuracyLabel = "accuracy";
    private IReadOnlyDictionary<string, string>? _hyperparameters;

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

    /// <summary>
    /// TensorBoard scalars of an evaluation, under <c>test/</c> (after SFT and at the end) or <c>validation/</c> (during the
    /// run), and a point on the learning curve of its set.
    /// </summary>
    public void OnEvaluation(string label, int iteration, HeldOutEvaluation evaluation)
    {
        var report = evaluation.Primary;
        bool validation = label == LocalRunEngine.ValidationLabel;
        string set = validation ? "validation" : "test";
        var values = new Dictionary<string, double>
        {
            [$"{set}/accuracy"] = report.Accuracy,
            [$"{set}/greedy_accuracy"] = evaluation.Greedy.Accuracy,
            [$"{set}/sampled_accuracy"] = evaluation.Sampled.Accuracy,
            [$"{set}/mean_response_tokens"] = report.MeanResponseTokens,
        };
        foreach (var (d, a) in report.ByDifficulty) values[$"{set}/accuracy_d{d}"] = a.Accuracy;
        foreach (var (dom, a) in report.ByDomain) values[$"{set}/accuracy_{dom}"] = a.Accuracy;
        foreach (var (modality, a) in report.ByModality) values[$"{set}/accuracy_{modality}_prompts"] = a.Accuracy;
        _tensorBoard.WriteScalars(values, iteration);
        (validation ? _validationCurve : _testPoints)[iteration] = new HeldOutPoint(iteration, report.Accuracy,
            report.ByDifficulty.ToDictionary(p => $"d{p.Key}", p => p.Value.Accuracy));
        _accuracyLabel = report.Mode;
        if (report.ByModality.ContainsKey(EvaluationReport.Image))
            (validation ? _validationModality : _testModality)[iteration] = new HeldOutPoint(iteration, report.Accuracy, ModalitySlices(report));
    }

    public void OnIteration(IterationMetrics m)
    {
        RlSeconds += m.IterationSeconds;
        var row = m.ToRow();
        if (m.Hyperparameters is { } hyperparameters)
        {
            // The values in force for this iteration, on its metrics line; TensorBoard gets them as text when they change.
            _metrics.Write(new Dictionary<string, object>(row.Select(p => new KeyValuePair<string, object>(p.Key, p.Value)))
            {
                [HyperparameterLog.Tag] = HyperparameterLog.Typed(hyperparameters),
            });
            if (HyperparameterLog.Markdown(hyperparameters, _hyperparameters, m.Iteration) is { } text)
                _tensorBoard.WriteText(HyperparameterLog.Tag, m.Iteration + 1, text);
            _hyperparameters = hyperparameters;
        }
        else _metrics.Write(row);
        _rows.Add(row);
        _tensorBoard.WriteScalars(row.Where(p => p.Key != "iteration").Select(p => new KeyValuePair<string, double>("rl/" + p.Key, p.Value)), m.Iteration + 1);
    }

    /// <summary>
    /// Charts of the whole run: the learning curve (validation accuracy overall and per difficulty at every validation
    /// evaluation, with the test set's overall accuracy after SFT and at the end beside it; the test set alone, per
    /// difficulty, when the run had no periodic evaluations), and reward, response length and log ratio after each iteration.
    /// </summary>
    public IReadOnlyList<string> WriteCharts()
    {
        // Iteration i's metrics describe the policy after it, the one evaluated at step i + 1.
        var rows = _rows.Select(r => (IReadOnlyDictionary<string, double>)new Dictionary<string, double>(r) { [RunCharts.IterationKey] = r["iteration"] + 1 })
            .ToList();
        var written = (_validationCurve.Count > 0
            ? RunCharts.WriteStandardCharts(_folder.Path, rows, _validationCurve.Values.ToList(), $"validation {_accuracyLabel}",
                (TestSeries, _testPoints.Values.ToList()))
            : RunCharts.WriteStandardCharts(_folder.Path, rows, _testPoints.Values.ToList(), $"test {_accuracyLabel}")).ToList();
        // The test set has points after SFT and at the end only; the curve is the validation set's where there is one.
        var modality = _validationModality.Count > 0 ? _validationModality : _testModality;
        if (modality.Count > 0)
            written.Add(RunCharts.WriteLearningCurve(_folder.Path, ModalityChart, "Accuracy: image vs text prompts", modality.Values.ToList(),
                $"{(modality == _validationModality ? "validation" : "test")} {_accuracyLabel}", overall: null));
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

    /// <summary>The learning curve's name for the test set's points.</summary>
    public const string TestSeries = "test";

    public void Dispose()
    {
        _metrics.Dispose();
        _sft.Dispose();
        _tensorBoard.Dispose();
    }
}
