using Kimi.Actors.Model.Llama;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;

namespace Kimi.Actors.Rl.Training;

/// <summary>What a training step consumed: the trajectories of one group that entered the loss.</summary>
public sealed record TrainedGroup(GroupKey Group, IReadOnlyList<TrajectoryId> Trajectories);

/// <summary>
/// The trainer's lifetime over a run: one <see cref="PolicyTrainer"/> (and so one optimizer state) kept across iterations
/// while the optimization options stay the same, replaced when they change (a hyperparameter set mid-run) or when the
/// policy is replaced. Every training step reports the trajectories it consumed, so exactly-once is a recorded fact.
/// </summary>
public sealed class TrainerSession(LlamaForCausalLM policy) : IDisposable
{
    private PolicyTrainer? _trainer;
    private PolicyOptimizationOptions? _options;

    public LlamaForCausalLM Policy => policy;

    /// <summary>Trains one iteration's complete groups as policy version <paramref name="currentVersion"/>.</summary>
    /// <exception cref="ArgumentException">No groups, or optimization options out of range.</exception>
    public (TrainStepStats Stats, IReadOnlyList<TrainedGroup> Consumed) Train(IReadOnlyList<TrainingGroup> groups,
        PolicyOptimizationOptions options, int iteration, long currentVersion, long seed, double? learningRate = null)
    {
        if (groups.Count == 0) throw new ArgumentException("no training groups");
        if (_trainer is null || _options != options)
        {
            var trainer = new PolicyTrainer(policy, options);
            _trainer?.Dispose();
            _trainer = trainer;
            _options = options;
        }
        var stats = _trainer.Train(groups, Seeds.Random(seed, Seeds.Shuffle, iteration), currentVersion, options.Segments, learningRate);
        var consumed = groups.Select(g => new TrainedGroup(g.Group, g.Samples.Select(s => s.Trajectory.Id).ToList())).ToList();
        return (stats, consumed);
    }

    public void Dispose()
    {
        _trainer?.Dispose();
        _trainer = null;
    }
}
