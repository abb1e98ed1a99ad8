using Akka.Actor;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Training;
using static Kimi.Actors.Cluster.Protocol.WeightSyncProtocol;

namespace Kimi.Actors.Cluster.Protocol;

/// <summary>
/// Between an entity (RolloutGenerator, Trainer) and the GPU worker it supervises, in the same process or in a
/// `kimi worker` child process over loopback remoting. Every request carries an id; the reply repeats it, so an
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
        string RequestId { get; }
    }

    /// <summary>An answer to (or, for <see cref="SftProgress"/>, news about) the request with the same id.</summary>
    public interface IWorkerReply : IKimiMessage
    {
        string RequestId { get; }
    }

    /// <summary>Sent by a worker in a child process to its entity once it is ready for work.</summary>
    public sealed record WorkerReady(string WorkerId, IActorRef Worker, int ProcessId) : IKimiMessage;

    /// <summary>Fresh policy weights from a model config (trainer, before warm-up SFT). Replied with <see cref="PolicyReady"/>.</summary>
    public sealed record InitPolicy(string RequestId, string RunId, string ModelConfigJson, long Seed) : IWorkerRequest;

    /// <summary>Load published weights (verifying the hash). Replied with <see cref="PolicyReady"/>.</summary>
    public sealed record LoadPolicy(string RequestId, WeightsPublished Weights) : IWorkerRequest;

    public sealed record PolicyReady(string RequestId, long Version, long Parameters) : IWorkerReply;

    /// <summary>Generate (or continue) trajectories with the loaded policy.</summary>
    public sealed record GenerateBatch(string RequestId, IReadOnlyList<RolloutRequest> Requests, RolloutSettings Settings, long Seed) : IWorkerRequest;

    /// <param name="Seconds">Time inside model generation, measured by the worker.</param>
    public sealed record BatchGenerated(string RequestId, long PolicyVersion, IReadOnlyList<Trajectory> Trajectories, long NewTokens, double Seconds)
        : IWorkerReply;

    /// <summary>Greedy and sampled held-out accuracy of the loaded policy.</summary>
    public sealed record EvaluateHeldOut(string RequestId, IReadOnlyList<PromptSpec> Prompts, EvalSettings Greedy, EvalSettings Sampled, PrimaryMetric Primary)
        : IWorkerRequest;

    public sealed record HeldOutEvaluated(string RequestId, long PolicyVersion, HeldOutEvaluation Evaluation, double Seconds) : IWorkerReply;

    /// <summary>
    /// Warm-up SFT on the run's built-in demonstrations (the worker rebuilds the deterministic task suite from the
    /// options and seed). Progress arrives as <see cref="SftProgress"/>, the end as <see cref="SftCompleted"/>.
    /// </summary>
    public sealed record RunWarmupSft(string RequestId, string RunId, TaskOptions Tasks, SftOptions Sft, long Seed) : IWorkerRequest;

    public sealed record SftProgress(string RequestId, SftStepStats Step) : IWorkerReply;

    public sealed record SftCompleted(string RequestId, WeightsPublished Weights, double Seconds) : IWorkerReply;

    /// <summary>One RL iteration's training on complete groups; the new weights are published before the reply.</summary>
    public sealed record TrainIteration(string RequestId, string RunId, int Iteration, IReadOnlyList<TrainingGroup> Groups,
        PolicyOptimizationOptions Optimization, SegmentSelection Segments, long CurrentVersion, long Seed) : IWorkerRequest;

    /// <param name="Seconds">Time inside the training step, measured by the worker.</param>
    public sealed record IterationTrained(string RequestId, int Iteration, TrainStepStats Stats, WeightsPublished Weights, double Seconds)
        : IWorkerReply;

    /// <summary>Write the loaded policy as a durable checkpoint folder (config.json + model.safetensors).</summary>
    public sealed record SaveCheckpoint(string RequestId, string Directory, IReadOnlyDictionary<string, string> Metadata) : IWorkerRequest;

    public sealed record CheckpointSaved(string RequestId, string Directory) : IWorkerReply;

    /// <summary>A request the worker refused without crashing (bad input, wrong state); not retried.</summary>
    public sealed record WorkRejected(string RequestId, string Reason) : IWorkerReply;
}
