using Akka.Actor;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Cluster.Protocol;

/// <summary>
/// Between an entity (RolloutGenerator, Trainer) and the GPU worker it supervises, in the same process or in a
/// `kimi-worker` child process over loopback remoting. Every request carries an id; the reply repeats it, so an
/// entity that re-sends work after a worker restart can tell a late duplicate from the answer it waits for.
/// Tensors never travel here: weights move through the weight store, referenced by <see cref="WeightsPublished"/>.
/// </summary>
public static class WorkerProtocol
{
    /// <summary>
    /// Work for a GPU worker. A supervisor re-sends unanswered requests after a restart (to a worker that has reloaded
    /// the last policy it confirmed), so handling a request again must give the same kind of answer.
    /// </summary>
    public interface IWorkerRequest : IKimiMessage
    {
        RequestId RequestId { get; }
    }

    /// <summary>An answer to (or, for <see cref="SftProgress"/>, news about) the request with the same id.</summary>
    public interface IWorkerReply : IKimiMessage
    {
        RequestId RequestId { get; }
    }

    /// <summary>Sent by a worker in a child process to its entity once it is ready for work.</summary>
    public sealed record WorkerReady(string WorkerId, IActorRef Worker, int ProcessId) : IKimiMessage;

    /// <summary>
    /// Fresh policy weights from a model config, or the weights of <paramref name="InitCheckpoint"/> (trainer, before
    /// warm-up SFT; a Hugging Face folder stays the policy's source), as version 0, in <paramref name="Dtype"/> (float32,
    /// bfloat16, or auto: the weights' own where the device computes in it). Replied with <see cref="PolicyReady"/>.
    /// </summary>
    public sealed record InitPolicy(RequestId RequestId, RunId RunId, string ModelConfigJson, long Seed, string? InitCheckpoint, string Dtype = "auto") : IWorkerRequest;

    /// <summary>Load published weights (verifying the hash). Replied with <see cref="PolicyReady"/>.</summary>
    public sealed record LoadPolicy(RequestId RequestId, WeightsPublished Weights) : IWorkerRequest;

    public sealed record PolicyReady(RequestId RequestId, long Version, long Parameters, string Device) : IWorkerReply;

    /// <summary>Load a durable checkpoint (verifying its hash) and publish it as <paramref name="Version"/>. Replied with <see cref="PolicyRestored"/>.</summary>
    public sealed record RestoreCheckpoint(RequestId RequestId, RunId RunId, long Version, CheckpointRef Checkpoint) : IWorkerRequest;

    public sealed record PolicyRestored(RequestId RequestId, WeightsPublished Weights, long Parameters, string Device) : IWorkerReply;

    /// <summary>
    /// The reply to <see cref="RestoreCheckpoint"/> when the checkpoint cannot be used: its weights file is missing or
    /// unreadable, or its SHA-256 differs from the journaled one. The worker keeps what it held; the Run may fall back.
    /// </summary>
    public sealed record CheckpointUnusable(RequestId RequestId, string Directory, string Problem) : IWorkerReply;

    /// <summary>Generate (or continue) trajectories with the loaded policy.</summary>
    public sealed record GenerateBatch(RequestId RequestId, IReadOnlyList<RolloutRequest> Requests, RolloutSettings Settings, long Seed) : IWorkerRequest;

    /// <param name="Seconds">Time inside model generation, measured by the worker.</param>
    /// <param name="Decoding">How the steps ran: cuda-graph (replayed CUDA graphs) or eager.</param>
    public sealed record BatchGenerated(RequestId RequestId, long PolicyVersion, IReadOnlyList<Trajectory> Trajectories, long NewTokens, double Seconds,
        string Decoding = "") : IWorkerReply;

    /// <summary>Greedy and sampled held-out accuracy of the loaded policy.</summary>
    public sealed record EvaluateHeldOut(RequestId RequestId, IReadOnlyList<PromptSpec> Prompts, EvaluationPlan Plan, TokenizerSpec Tokenizer) : IWorkerRequest;

    public sealed record HeldOutEvaluated(RequestId RequestId, long PolicyVersion, HeldOutEvaluation Evaluation, double Seconds) : IWorkerReply;

    /// <summary>
    /// Warm-up SFT on the run's built-in demonstrations (the worker rebuilds the deterministic task suite from the
    /// options and seed). Progress arrives as <see cref="SftProgress"/>, the end as <see cref="SftCompleted"/>.
    /// </summary>
    public sealed record RunWarmupSft(RequestId RequestId, RunId RunId, TaskOptions Tasks, SftOptions Sft, long Seed, TokenizerSpec Tokenizer) : IWorkerRequest;

    public sealed record SftProgress(RequestId RequestId, SftStepStats Step) : IWorkerReply;

    public sealed record SftCompleted(RequestId RequestId, WeightsPublished Weights, double Seconds) : IWorkerReply;

    /// <summary>One RL iteration's training on complete groups at <paramref name="LearningRate"/>; the new weights are published before the reply.</summary>
    public sealed record TrainIteration(RequestId RequestId, RunId RunId, int Iteration, IReadOnlyList<TrainingGroup> Groups,
        PolicyOptimizationOptions Optimization, long CurrentVersion, long Seed, double LearningRate) : IWorkerRequest;

    /// <param name="Consumed">The trajectories that entered the loss, group by group: the trainer's own record of what it trained on.</param>
    /// <param name="Seconds">Time inside the training step, measured by the worker.</param>
    public sealed record IterationTrained(RequestId RequestId, int Iteration, TrainStepStats Stats, WeightsPublished Weights,
        IReadOnlyList<TrainedGroup> Consumed, double Seconds) : IWorkerReply;

    /// <summary>Write published version <paramref name="Version"/> as a durable checkpoint of the worker's node.</summary>
    public sealed record SaveCheckpoint(RequestId RequestId, RunId RunId, long Version) : IWorkerRequest;

    public sealed record CheckpointSaved(RequestId RequestId, long Version, CheckpointRef Checkpoint) : IWorkerReply;

    /// <summary>A request the worker refused without crashing (bad input, wrong state); not retried.</summary>
    public sealed record WorkRejected(RequestId RequestId, string Reason) : IWorkerReply;
}
