using Kimi.Actors.Model;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Runs;

/// <summary>
/// What the machine asks its shell to do: work for the trainer, the generators, the judges and the prompts, a fact to
/// persist, progress to report. The Run entity routes each to an entity; the local engine performs it in process.
/// Commands of one decision are carried out in order, and none after a <see cref="Persist"/> before it is durable.
/// </summary>
public interface IRunCommand;

/// <summary>Work that is answered by a reply carrying the same request id.</summary>
public interface IRunRequest : IRunCommand
{
    RequestId Request { get; }
}

public sealed record AttachTrainer : IRunCommand;

public sealed record AttachGenerator(GeneratorSlot Slot) : IRunCommand;

/// <summary>The session is over: the trainer and these generators stop their workers and release published weights.</summary>
public sealed record DetachWorkers(IReadOnlyList<GeneratorSlot> Generators) : IRunCommand;

/// <summary>Read every prompt's counts over iterations below <paramref name="UpToIteration"/> (answered with <see cref="PromptCountsLoaded"/>).</summary>
public sealed record LoadPromptCounts(int UpToIteration) : IRunCommand;

/// <summary>
/// Fresh weights from <paramref name="Model"/> and <paramref name="Seed"/>, or the weights of <paramref name="InitCheckpoint"/>
/// (a Hugging Face folder keeps its files), as version 0, in <paramref name="Dtype"/> (float32, bfloat16 or auto).
/// </summary>
public sealed record InitPolicy(RequestId Request, ModelConfig Model, long Seed, string? InitCheckpoint, string Dtype = "auto") : IRunRequest;

/// <summary>Warm-up SFT on the suite's demonstrations (the worker rebuilds the deterministic suite from the options and seed).</summary>
public sealed record RunWarmupSft(RequestId Request, TaskOptions Tasks, SftOptions Sft, long Seed) : IRunRequest;

/// <summary>
/// One iteration's training on complete groups at <paramref name="LearningRate"/> (the schedule's rate for this iteration);
/// the new version is published before the reply.
/// </summary>
public sealed record TrainGroups(RequestId Request, int Iteration, IReadOnlyList<TrainingGroup> Groups, PolicyOptimizationOptions Optimization,
    long CurrentVersion, long Seed, double LearningRate) : IRunRequest;

/// <summary>Write version <paramref name="Version"/> as a durable checkpoint.</summary>
public sealed record SaveCheckpoint(RequestId Request, long Version) : IRunRequest;

/// <summary>Load a durable checkpoint into the trainer and publish it as <paramref name="Version"/> (a continued run).</summary>
public sealed record RestoreCheckpoint(RequestId Request, long Version, CheckpointRef Checkpoint) : IRunRequest;

/// <summary>Published versions below <paramref name="Below"/> are no longer used by any generator.</summary>
public sealed record ReleaseWeights(long Below) : IRunCommand;

public sealed record LoadWeights(RequestId Request, GeneratorSlot Slot, WeightsPublished Weights) : IRunRequest;

public sealed record Generate(RequestId Request, GeneratorSlot Slot, IReadOnlyList<RolloutRequest> Requests, RolloutSettings Settings, long Seed)
    : IRunRequest;

public sealed record Evaluate(RequestId Request, GeneratorSlot Slot, IReadOnlyList<PromptRecord> Prompts, EvaluationPlan Plan) : IRunRequest;

/// <summary>A finished trajectory and the prompt whose verifier judges it.</summary>
public sealed record JudgeItem(Trajectory Trajectory, PromptRecord Prompt);

public sealed record Judge(RequestId Request, JudgeSlot Slot, IReadOnlyList<JudgeItem> Items) : IRunRequest;

/// <summary>One judged sample of a group. Its trajectory id identifies it: recording it twice counts once.</summary>
public sealed record SampleVerdict(TrajectoryId Trajectory, bool Correct);

/// <summary>Record a group's verdicts with its Prompt (idempotent per trajectory; answered with <see cref="GroupRecorded"/>).</summary>
public sealed record RecordGroup(GroupKey Group, int Difficulty, IReadOnlyList<SampleVerdict> Samples) : IRunCommand;

public sealed record Persist(IRunFact Fact) : IRunCommand;

public sealed record Report(IRunReport Progress) : IRunCommand;

/// <summary>Start (true) or stop the periodic <see cref="ResendDue"/> timer.</summary>
public sealed record SetResendTimer(bool On) : IRunCommand;
