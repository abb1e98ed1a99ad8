using Akka.Actor;
using Akka.Cluster.Sharding;
using Kimi.Actors.Cluster.Judge;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Rollout;
using Kimi.Actors.Cluster.Trainer;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Tasks;
using W = Kimi.Actors.Cluster.Protocol.WorkerProtocol;

namespace Kimi.Actors.Cluster.Run;

/// <summary>A reply the Run gets from its own asynchronous work (a journal read), already an input of its machine.</summary>
internal sealed record LocalInput(IRunInput Input) : INoSerializationVerificationNeeded;

/// <summary>
/// Where a Run's machine commands go on the cluster, and what the entities' replies mean to the machine: the whole
/// translation between <see cref="RunMachine"/>'s vocabulary and the wire protocol, in one place.
/// </summary>
internal sealed class RunRoutes(ActorSystem system, IActorRef run, RunId runId, TokenizerSpec tokenizer)
{
    private readonly IActorRef _trainers = Region(system, TrainerSharding.TypeName);
    private readonly IActorRef _generators = Region(system, GeneratorSharding.TypeName);
    private readonly IActorRef _judges = Region(system, JudgeSharding.TypeName);
    private readonly IActorRef _prompts = Region(system, PromptSharding.TypeName);
    // Held-out prompts as they travel, converted once per session.
    private readonly Dictionary<IReadOnlyList<PromptRecord>, IReadOnlyList<PromptSpec>> _specs = new(ReferenceEqualityComparer.Instance);

    private static IActorRef Region(ActorSystem system, string typeName) => ClusterSharding.Get(system).ShardRegion(typeName);

    /// <summary>Sends one command to the entity that performs it. Persist, Report and timers are the Run's own.</summary>
    public void Send(IRunCommand command)
    {
        switch (command)
        {
            case AttachTrainer: Tell(_trainers, new TrainerProtocol.AttachTrainer(runId)); break;
            case AttachGenerator m: Tell(_generators, new GeneratorProtocol.AttachGenerator(runId, m.Slot)); break;
            case DetachWorkers m:
                Tell(_trainers, new TrainerProtocol.DetachTrainer(runId));
                foreach (var slot in m.Generators) Tell(_generators, new GeneratorProtocol.DetachGenerator(runId, slot));
                break;
            case LoadPromptCounts m:
                PromptIndexRebuild.LoadAsync(system, runId, m.UpToIteration).PipeTo(run,
                    success: counts => new LocalInput(new PromptCountsLoaded(counts)),
                    failure: e => new LocalInput(new RunAborted("rebuilding the prompt index from the journal failed: " + e.Message)));
                break;
            case InitPolicy m: Trainer(new W.InitPolicy(m.Request, runId, m.Model.ToJson(), m.Seed, m.InitCheckpoint, m.Dtype)); break;
            case RunWarmupSft m: Trainer(new W.RunWarmupSft(m.Request, runId, m.Tasks, m.Sft, m.Seed, tokenizer)); break;
            case TrainGroups m: Trainer(new W.TrainIteration(m.Request, runId, m.Iteration, [.. m.Groups], m.Optimization, m.CurrentVersion, m.Seed, m.LearningRate)); break;
            case SaveCheckpoint m: Trainer(new W.SaveCheckpoint(m.Request, runId, m.Version)); break;
            case RestoreCheckpoint m: Trainer(new W.RestoreCheckpoint(m.Request, runId, m.Version, m.Checkpoint)); break;
            case ReleaseWeights m: Tell(_trainers, new TrainerProtocol.ReleaseWeights(runId, m.Below)); break;
            case LoadWeights m: Generator(m.Slot, new W.LoadPolicy(m.Request, m.Weights)); break;
            case Generate m: Generator(m.Slot, new W.GenerateBatch(m.Request, m.Requests, m.Settings, m.Seed)); break;
            case Evaluate m: Generator(m.Slot, new W.EvaluateHeldOut(m.Request, Specs(m.Prompts), m.Plan, tokenizer)); break;
            case Rl.Runs.Judge m:
                Tell(_judges, new JudgeProtocol.JudgeTrajectories(m.Slot, runId, m.Request,
                    m.Items.Select(i => new JudgeProtocol.JudgeItem(i.Trajectory, PromptSpec.From(i.Prompt))).ToList(), tokenizer));
                break;
            case RecordGroup m:
                Tell(_prompts, new PromptProtocol.RecordJudgedGroup(runId, m.Group.Prompt, m.Group.Iteration, m.Difficulty, m.Samples));
                break;
            default: throw new InvalidOperationException($"the Run does not route {command.GetType().Name}");
        }
    }

    /// <summary>What an entity's or worker's reply means to the machine; null for a message that is not one.</summary>
    public static IRunInput? ToInput(object message) => message switch
    {
        TrainerProtocol.TrainerAvailable m => new TrainerAvailable(m.Incarnation, m.RestartReason),
        TrainerProtocol.TrainerUnavailable m => new TrainerUnavailable(m.Reason),
        GeneratorProtocol.GeneratorAvailable m => new GeneratorAvailable(m.Slot, m.Incarnation, m.RestartReason),
        GeneratorProtocol.GeneratorUnavailable m => new GeneratorUnavailable(m.Slot, m.Reason),
        W.PolicyReady m => new PolicyReady(m.RequestId, m.Version, m.Parameters, m.Device),
        W.PolicyRestored m => new PolicyRestored(m.RequestId, m.Weights, m.Parameters, m.Device),
        W.CheckpointUnusable m => new CheckpointUnusable(m.RequestId, m.Problem),
        W.SftProgress m => new SftStepDone(m.RequestId, m.Step),
        W.SftCompleted m => new SftDone(m.RequestId, m.Weights, m.Seconds),
        W.BatchGenerated m => new BatchGenerated(m.RequestId, m.Trajectories, m.NewTokens, m.Seconds, m.Decoding),
        W.HeldOutEvaluated m => new HeldOutEvaluated(m.RequestId, m.Evaluation, m.Seconds),
        W.IterationTrained m => new IterationTrained(m.RequestId, m.Stats, m.Weights, m.Consumed, m.Seconds),
        W.CheckpointSaved m => new CheckpointSaved(m.RequestId, m.Version, m.Checkpoint),
        W.WorkRejected m => new WorkRejected(m.RequestId, m.Reason),
        JudgeProtocol.TrajectoriesJudged m => new TrajectoriesJudged(m.RequestId, m.Judged, m.Seconds),
        PromptProtocol.GroupRecorded m => new GroupRecorded(new GroupKey(m.PromptId, m.Iteration), m.NewAttempts, m.NewSuccesses),
        // A Prompt entity refused a group (malformed, or its journal is unreadable): the run cannot count it.
        Status.Failure f => new RunAborted("a Prompt entity refused a judged group: " + f.Cause.Message),
        LocalInput m => m.Input,
        _ => null,
    };

    private void Trainer(W.IWorkerRequest request) => Tell(_trainers, new TrainerProtocol.ToTrainer(runId, request));

    private void Generator(GeneratorSlot slot, W.IWorkerRequest request) => Tell(_generators, new GeneratorProtocol.ToGenerator(runId, slot, request));

    private void Tell(IActorRef region, object message) => region.Tell(message, run);

    private IReadOnlyList<PromptSpec> Specs(IReadOnlyList<PromptRecord> prompts)
    {
        if (!_specs.TryGetValue(prompts, out var specs)) _specs[prompts] = specs = prompts.Select(PromptSpec.From).ToList();
        return specs;
    }
}
