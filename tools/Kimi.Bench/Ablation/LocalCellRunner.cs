using System.Diagnostics;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Objectives;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;

namespace Kimi.Bench.Ablation;

/// <summary>Trains one cell of an ablation table and measures it.</summary>
public interface IAblationCellRunner : IDisposable
{
    CellOutcome Run(AblationCell cell);
}

/// <summary>
/// Runs a cell as <c>kimi train --set kimi.run.engine=local</c> runs it (<see cref="LocalRunEngine"/>: warm-up SFT, the
/// test set evaluated, the RL iterations, the test set again), except that warm-up SFT runs once per
/// <see cref="AblationCell.SftKey"/>: the first cell of a seed trains it (<see cref="WarmupSft"/>, the engine's own
/// operation) and saves the policy; every cell of that seed then starts from that checkpoint with no SFT steps, exactly
/// as <c>--set run.init-checkpoint=DIR --set sft.steps=0</c> would. Arms of one seed therefore differ only in RL.
/// </summary>
public sealed class LocalCellRunner : IAblationCellRunner
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), $"kimi-ablation-{Environment.ProcessId}-{Guid.NewGuid():N}");
    private readonly Dictionary<string, string> _sftCheckpoints = [];

    public CellOutcome Run(AblationCell cell)
    {
        var options = cell.Options;
        TorchSharp.torch.Device device;
        try { device = TorchRuntime.ResolveDevice(options.Device); }
        catch (ArgumentException e) { throw new UsageException($"ablation: kimi.run.device = {options.Device}: {e.Message}"); }
        var tokenizer = options.Tokenizer.Create();
        TaskSuite tasks;
        try { tasks = TaskSuite.Create(options.Tasks, options.Seed, tokenizer); }
        catch (ArgumentException e) { throw new UsageException($"ablation: kimi.tasks: {e.Message}"); }

        double sftSeconds = 0;
        if (!_sftCheckpoints.TryGetValue(cell.SftKey, out var checkpoint))
        {
            var sft = Stopwatch.StartNew();
            using var fresh = PolicyCheckpoint.Initial(options.Model, options.Seed, options.InitCheckpoint, options.Dtype, device);
            WarmupSft.Run(fresh, tasks, options.Sft, options.Seed, tokenizer);
            checkpoint = Path.Combine(_work, $"sft-{_sftCheckpoints.Count + 1}");
            PolicyCheckpoint.Save(checkpoint, fresh, new Dictionary<string, string> { ["ablation_seed"] = options.Seed.ToString() }, fresh.Pretrained);
            _sftCheckpoints[cell.SftKey] = checkpoint;
            sftSeconds = sft.Elapsed.TotalSeconds;
        }

        var armOptions = options with { RunId = "ablation", InitCheckpoint = checkpoint, Sft = options.Sft with { Steps = 0 } };
        using var policy = PolicyCheckpoint.Initial(armOptions.Model, armOptions.Seed, checkpoint, armOptions.Dtype, device);
        var iterations = new Iterations();
        var objectives = new List<string>();
        var hooks = new LocalEngineHooks(OnTrain: t =>
        {
            var name = ObjectiveKinds.Name(t.Optimization.Objective);
            if (!objectives.Contains(name)) objectives.Add(name);
        });
        using var engine = new LocalRunEngine(armOptions, tasks, tokenizer, policy, iterations, hooks);
        RunResult result;
        try { result = engine.Run(); }
        catch (RunFailedException e) { return CellOutcome.FailedWith(e.Message); }

        var m = iterations.All;
        var observed = new CellObservation(objectives, m.Count > 0 ? m[0].MaxEligibleDifficulty : 0,
            m.Count > 0 ? m.Average(i => i.CutFraction) : 0, m.Sum(i => i.Resumed),
            m.Count > 0 ? m.Average(i => i.LengthPenaltyMean) : 0, m.Count > 0 ? m.Average(i => i.ResponseLengthMean) : 0);
        return new CellOutcome(result.Sft.Accuracy, result.Rl.Accuracy, result.Rl.Greedy.Accuracy, result.Rl.Primary.MeanResponseTokens,
            result.Sft.Primary.MeanResponseTokens, result.Rl.Primary.Prompts, result.Wall.TotalSeconds, sftSeconds, observed);
    }

    private sealed class Iterations : ITrainingObserver
    {
        public List<IterationMetrics> All { get; } = [];
        public void OnIteration(IterationMetrics metrics) => All.Add(metrics);
    }

    public void Dispose()
    {
        if (Directory.Exists(_work)) Directory.Delete(_work, recursive: true);
    }
}
