using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Rl.Runs;

/// <summary>
/// A durable fact about a run: the machine emits it in a <see cref="Persist"/> command, the shell writes it (the Run
/// entity to its journal), and <see cref="RunProgress.Apply"/> folds it into what the run knows after a restart.
/// </summary>
public interface IRunFact;

/// <summary>Which held-out evaluation of a run: after warm-up SFT, every N iterations during RL, or at the end.</summary>
public enum EvaluationLabel { Sft, Periodic, Final }

/// <summary>A durable checkpoint folder (model.safetensors + config.json) and the SHA-256 of its weights file.</summary>
public sealed record CheckpointRef(string Directory, string Sha256);

/// <summary>The run's target number of iterations was set (a new run) or extended (a continued one).</summary>
public sealed record TargetSet(int TargetIterations) : IRunFact;

/// <summary>Warm-up SFT is done: <paramref name="WeightVersion"/> is the SFT policy, checkpointed durably.</summary>
public sealed record SftFinished(long WeightVersion, CheckpointRef Checkpoint, double Seconds) : IRunFact;

public sealed record HeldOutRecorded(EvaluationLabel Label, int Iteration, HeldOutEvaluation Evaluation) : IRunFact;

/// <summary>
/// Iteration <paramref name="Iteration"/> is trained, its weights are durable and every generator runs them.
/// <paramref name="Replay"/> is the replay buffer it left (open groups, responses to resume); <paramref name="Trained"/>
/// is what the trainer reported it consumed, trajectory by trajectory (what an audit checks exactly-once against).
/// </summary>
public sealed record IterationCommitted(int Iteration, long WeightVersion, CheckpointRef Checkpoint, IterationMetrics Metrics,
    ReplaySnapshot Replay, IReadOnlyList<TrainedGroup> Trained) : IRunFact;

public sealed record RunPaused : IRunFact;

public sealed record RunUnpaused : IRunFact;

public sealed record RunCompleted(int EndIteration) : IRunFact;

/// <summary>
/// A continued run found its newest durable checkpoints damaged (hash mismatch, missing or unreadable file) and went back
/// to the newest intact one: the run stands as it did after <paramref name="ToIteration"/> committed iterations, with the
/// weights of <paramref name="Checkpoint"/> republished as <paramref name="WeightVersion"/> (above every version the run
/// ever committed: versions never go backwards). The iterations from <paramref name="ToIteration"/> up to
/// <paramref name="FromIteration"/> run again; their earlier commits no longer count (an audit reads this fact).
/// </summary>
/// <param name="FromIteration">Committed iterations before the fallback.</param>
/// <param name="Damaged">What was wrong with each checkpoint skipped, newest first.</param>
public sealed record RolledBack(int FromIteration, int ToIteration, long WeightVersion, CheckpointRef Checkpoint, IReadOnlyList<string> Damaged)
    : IRunFact;
