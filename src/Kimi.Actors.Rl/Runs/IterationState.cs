using System.Collections.Immutable;
using Kimi.Actors.Model.Generation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Judging;
using Kimi.Actors.Rl.Optimization;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Shaping;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Rl.Runs;

/// <summary>Where an iteration is: sample → generate (and judge as batches arrive) → shape and record → train → publish → commit.</summary>
public enum IterationStage
{
    /// <summary>Generators decode the planned requests; finished responses are judged as their batches arrive.</summary>
    Generating,
    /// <summary>Complete groups are shaped, recorded with their Prompts and trained.</summary>
    Training,
    /// <summary>The new weights load on every generator and are written as a durable checkpoint.</summary>
    Publishing,
    /// <summary>Committed: the iteration's fact is ready to persist.</summary>
    Committed,
}

/// <summary>What an iteration step needs besides its own state: the run's fixed parts and where the run stands.</summary>
internal sealed record IterationEnv(RunContext Context, RunOptions Options, IReadOnlyList<GeneratorSlot> Available, int GeneratorSlots,
    int JudgeSlots, long WeightVersion, CheckpointRef Checkpoint, TimeSpan Now, int TargetIterations);

/// <summary>
/// One RL iteration as data: the requests in flight, what came back, the replay buffer, the groups trained and the
/// measurements that become its metrics. Every transition is a pure function of (state, input); commands go out through
/// <see cref="Effects"/>. The local engine and the Run entity both drive it through <see cref="RunMachine"/>.
/// </summary>
public sealed record IterationState
{
    public required int Iteration { get; init; }
    public required TimeSpan StartedAt { get; init; }
    /// <summary>When the trained weights went out to the generators (and to the durable checkpoint); null before.</summary>
    public TimeSpan? PublishedAt { get; init; }
    public IterationStage Stage { get; init; }
    public required ReplayBuffer Buffer { get; init; }
    /// <summary>Responses continued from an earlier iteration.</summary>
    public int Resumed { get; init; }
    public ImmutableDictionary<RequestId, Generate> Generating { get; init; } = ImmutableDictionary<RequestId, Generate>.Empty;
    public ImmutableDictionary<GeneratorSlot, double> GenerationSeconds { get; init; } = ImmutableDictionary<GeneratorSlot, double>.Empty;
    public long NewTokens { get; init; }
    public RolloutCounts Rollout { get; init; } = RolloutCounts.None;
    public ImmutableDictionary<RequestId, Judge> Judging { get; init; } = ImmutableDictionary<RequestId, Judge>.Empty;
    public double JudgeSeconds { get; init; }
    public ImmutableList<TrainingGroup> Groups { get; init; } = [];
    public ImmutableDictionary<GroupKey, RecordGroup> Recording { get; init; } = ImmutableDictionary<GroupKey, RecordGroup>.Empty;
    public RequestId? TrainRequest { get; init; }
    public IterationTrained? Trained { get; init; }
    public Publication? Publication { get; init; }
    /// <summary>Set once <see cref="IterationStage.Committed"/>: the fact to persist.</summary>
    public IterationCommitted? Commit { get; init; }
    /// <summary>Set when the iteration cannot go on (no prompt to draw, no generator left).</summary>
    public string? Failure { get; init; }

    /// <summary>
    /// Starts iteration <paramref name="iteration"/> from the replay buffer the last commit left: every unfinished response
    /// is resumed first, then fresh prompts are drawn until prompts-per-iteration groups are in flight (a prompt whose
    /// group is still open is not drawn again), and the requests go out to the generators, whole groups per generator.
    /// </summary>
    internal static IterationState Begin(IterationEnv env, Effects fx, int iteration, ReplaySnapshot replay)
    {
        var options = env.Options;
        var ctx = env.Context;
        var buffer = ReplayBuffer.Restore(replay);
        ctx.Sampler.OnIterationStart(iteration);
        // Image references come from the prompt set by prompt id: the replay buffer keeps tokens, never images.
        var requests = buffer.Continuations().Select(r => r with { Images = ctx.ImagesOf(r.PromptId) }).ToList();
        int resumed = requests.Count;
        int k = options.Rollout.SamplesPerPrompt;
        int wanted = Math.Max(0, options.Rollout.PromptsPerIteration - buffer.OpenGroups);
        // Drawing without replacement and skipping open prompts samples the rest by the same weights.
        var drawn = ctx.Sampler.Draw(wanted + buffer.OpenGroups, Seeds.Random(options.Seed, Seeds.Sampler, iteration))
            .Select(i => ctx.Tasks.Train[i]).Where(p => !buffer.IsOpen(new PromptId(p.Id))).Take(wanted).ToList();
        foreach (var prompt in drawn)
        {
            var key = new GroupKey(new PromptId(prompt.Id), iteration);
            var tokens = PromptTokens.Encode(ctx.Tokenizer, prompt, ctx.Images);
            buffer = buffer.Open(key, k, tokens);
            var images = prompt.HasImages ? prompt.Images : null;
            for (int j = 0; j < k; j++) requests.Add(new RolloutRequest(key.Sample(j), tokens, Images: images));
        }
        var state = new IterationState { Iteration = iteration, StartedAt = env.Now, Buffer = buffer, Resumed = resumed };
        if (requests.Count == 0)
            return state with { Failure = "the sampler has no eligible prompt with positive weight (every prompt mastered and sampling.floor = 0?)" };
        if (env.Available.Count == 0) return state with { Failure = "no rollout generator is available" };

        var settings = RolloutSettingsOf(options);
        var parts = SplitByGroup(requests, env.Available.Count);
        var generating = ImmutableDictionary.CreateBuilder<RequestId, Generate>();
        for (int p = 0; p < parts.Count; p++)
        {
            if (parts[p].Count == 0) continue;
            // Part 0 uses the iteration's rollout seed, so one generator reproduces the same stream wherever it runs.
            var generate = fx.Add(new Generate(fx.NewRequest(), env.Available[p], parts[p], settings,
                Seeds.Derive(options.Seed, Seeds.Rollouts, iteration) + p));
            generating[generate.Request] = generate;
        }
        fx.Add(new SetResendTimer(true));
        return state with { Generating = generating.ToImmutable() };
    }

    internal IterationState On(IRunInput input, IterationEnv env, Effects fx) => input switch
    {
        BatchGenerated m => OnGenerated(m, env, fx),
        TrajectoriesJudged m => OnJudged(m, env, fx),
        GroupRecorded m => OnRecorded(m, env, fx),
        IterationTrained m when m.Request == TrainRequest && Trained is null => (this with { Trained = m }).MaybePublish(env, fx),
        PolicyReady or CheckpointSaved when Publication?.On((IRunReply)input) is { } publication =>
            (this with { Publication = publication }).MaybeCommit(env),
        GeneratorUnavailable m => OnGeneratorLost(m.Slot, env, fx),
        ResendDue => Resend(fx),
        _ => this,
    };

    /// <summary>Whether a reply belongs to this iteration (so a stale one from an earlier step can be told apart).</summary>
    public bool IsWaitingFor(RequestId request) =>
        Generating.ContainsKey(request) || Judging.ContainsKey(request) || TrainRequest == request || Publication?.IsWaitingFor(request) == true;

    private IterationState OnGenerated(BatchGenerated m, IterationEnv env, Effects fx)
    {
        if (!Generating.TryGetValue(m.Request, out var sent)) return this; // a late duplicate
        var buffer = Buffer;
        foreach (var t in m.Trajectories.Where(t => !t.Finished)) buffer = buffer.AddUnfinished(t);
        var judging = Judging;
        // Judge as batches arrive: verification overlaps the remaining generation.
        var items = m.Trajectories.Where(t => t.Finished).Select(t => new JudgeItem(t, env.Context.Prompt(t.PromptId))).ToList();
        int slots = Math.Max(1, env.JudgeSlots);
        if (items.Count > 0)
            foreach (var (chunk, j) in items.Chunk((items.Count + slots - 1) / slots).Select((c, j) => (c, j)))
            {
                var judge = fx.Add(new Judge(fx.NewRequest(), new JudgeSlot(j), chunk));
                judging = judging.Add(judge.Request, judge);
            }
        return (this with
        {
            Generating = Generating.Remove(m.Request),
            GenerationSeconds = GenerationSeconds.SetItem(sent.Slot, GenerationSeconds.GetValueOrDefault(sent.Slot) + m.Seconds),
            NewTokens = NewTokens + m.NewTokens,
            Rollout = Rollout + RolloutCounts.Of(m.Trajectories, 0),
            Buffer = buffer,
            Judging = judging,
        }).MaybeTrain(env, fx);
    }

    private IterationState OnJudged(TrajectoriesJudged m, IterationEnv env, Effects fx)
    {
        if (!Judging.ContainsKey(m.Request)) return this;
        var buffer = Buffer;
        foreach (var j in m.Judged) buffer = buffer.AddJudged(j);
        return (this with { Judging = Judging.Remove(m.Request), JudgeSeconds = JudgeSeconds + m.Seconds, Buffer = buffer }).MaybeTrain(env, fx);
    }

    /// <summary>Once every batch is generated and judged: the complete groups are shaped, recorded (durably, per prompt) and trained.</summary>
    private IterationState MaybeTrain(IterationEnv env, Effects fx)
    {
        if (Stage != IterationStage.Generating || !Generating.IsEmpty || !Judging.IsEmpty) return this;
        var (rest, complete) = Buffer.TakeComplete();
        var lengthPenalty = new LengthPenaltySchedule(env.Options.LengthPenalty.Weight, env.Options.LengthPenalty.WarmupIterations);
        var groups = complete.Select(g => RewardShaper.Shape(g.Key, g.PromptTokens, g.Finished, lengthPenalty, Iteration,
            env.Options.Rollout.Repeat.Penalty) with { Images = env.Context.ImagesOf(g.PromptId) }).ToImmutableList();
        var recording = ImmutableDictionary.CreateBuilder<GroupKey, RecordGroup>();
        foreach (var g in complete)
        {
            // The group's own key (prompt and the iteration it was drawn at) keys its samples, so a redelivered
            // record is not counted twice.
            recording[g.Key] = fx.Add(new RecordGroup(g.Key, env.Context.Prompt(g.PromptId).Difficulty,
                g.Finished.Select(s => new SampleVerdict(s.Trajectory.Id, s.Correct)).ToList()));
        }
        RequestId? train = null;
        if (groups.Count > 0)
            train = fx.Add(new TrainGroups(fx.NewRequest(), Iteration, groups, env.Options.Optimization, env.WeightVersion, env.Options.Seed,
                RlLearningRate.At(env.Options.Optimization, Iteration, env.TargetIterations))).Request;
        // Every response cut by the budget: nothing trains, the weights stay as they are.
        return (this with { Stage = IterationStage.Training, Buffer = rest, Groups = groups, Recording = recording.ToImmutable(), TrainRequest = train })
            .MaybePublish(env, fx);
    }

    private IterationState OnRecorded(GroupRecorded m, IterationEnv env, Effects fx)
    {
        if (!Recording.ContainsKey(m.Group)) return this;
        if (env.Context.IndexOf(m.Group.Prompt) is { } index) env.Context.Sampler.Record(index, m.NewAttempts, m.NewSuccesses);
        return (this with { Recording = Recording.Remove(m.Group) }).MaybePublish(env, fx);
    }

    private IterationState MaybePublish(IterationEnv env, Effects fx)
    {
        if (Stage != IterationStage.Training || !Recording.IsEmpty || TrainRequest is not null && Trained is null) return this;
        fx.Add(new SetResendTimer(false));
        if (Trained is null) return (this with { Stage = IterationStage.Publishing }).MaybeCommit(env);
        if (env.Available.Count == 0) return this with { Failure = "no rollout generator is available to load the new weights" };
        return this with
        {
            Stage = IterationStage.Publishing, PublishedAt = env.Now, Publication = Publication.Start(fx, Trained.Weights, env.Available, save: true),
        };
    }

    private IterationState MaybeCommit(IterationEnv env)
    {
        if (Stage != IterationStage.Publishing || Publication is { Done: false }) return this;
        long version = Trained?.Weights.Version ?? env.WeightVersion;
        var checkpoint = Publication?.Saved ?? env.Checkpoint;
        var metrics = Metrics(env);
        var commit = new IterationCommitted(Iteration, version, checkpoint, metrics, Buffer.Snapshot(), Trained?.Consumed ?? []);
        return this with { Stage = IterationStage.Committed, Commit = commit };
    }

    /// <summary>A generator is gone: its generation moves to the others, its weight load is no longer waited for.</summary>
    private IterationState OnGeneratorLost(GeneratorSlot slot, IterationEnv env, Effects fx)
    {
        var remaining = env.Available.Where(s => s != slot).ToList();
        var lost = Generating.Values.Where(g => g.Slot == slot).ToList();
        if (remaining.Count == 0 && (lost.Count > 0 || Publication is not null && Publication.Loading.Values.Contains(slot)))
            return this with { Failure = $"every rollout generator is unavailable ({slot} was the last)" };
        var generating = Generating;
        foreach (var g in lost)
        {
            // Same request id: a late answer from the lost generator and one from its replacement count once.
            var moved = g with { Slot = remaining[(int)(g.Request.Sequence % remaining.Count)] };
            generating = generating.SetItem(g.Request, fx.Add(moved));
        }
        var state = this with { Generating = generating, Publication = Publication?.Without(slot) };
        return state.Publication is null ? state : state.MaybeCommit(env);
    }

    private IterationState Resend(Effects fx)
    {
        // Judges and Prompt entities are idempotent for a request: re-sending what is unanswered is always safe.
        foreach (var judge in Judging.Values) fx.Add(judge);
        foreach (var record in Recording.Values) fx.Add(record);
        return this;
    }

    /// <summary>What the iteration did and cost: one computation for every engine, from the measurements it collected.</summary>
    private IterationMetrics Metrics(IterationEnv env)
    {
        var options = env.Options;
        var trainStats = Trained?.Stats ?? TrainStepStats.Idle;
        double wall = Math.Max(0, (env.Now - StartedAt).TotalSeconds);
        double generation = GenerationSeconds.Values.DefaultIfEmpty().Max();
        double inside = generation + JudgeSeconds + (Trained?.Seconds ?? 0);
        int slots = Math.Max(1, env.GeneratorSlots);
        var all = Groups.SelectMany(g => g.Samples).ToList();
        long trainedTokens = all.Sum(s => (long)s.Trajectory.Length);
        double w = new LengthPenaltySchedule(options.LengthPenalty.Weight, options.LengthPenalty.WarmupIterations).WeightAt(Iteration);
        var rollout = Rollout with { Resumed = Resumed };
        return new IterationMetrics
        {
            Iteration = Iteration, WeightVersion = Trained?.Weights.Version ?? env.WeightVersion, Prompts = Groups.Count, Samples = all.Count,
            RewardMean = Groups.SelectMany(g => g.ShapedRewards).DefaultIfEmpty().Average(),
            Accuracy = all.Count == 0 ? 0 : all.Count(s => s.Correct) / (double)all.Count,
            ResponseLengthMean = all.Count == 0 ? 0 : all.Average(s => s.Trajectory.Length),
            LengthPenaltyMean = w * Groups.SelectMany(g => g.LengthRewards).DefaultIfEmpty().Average(), LengthPenaltyWeight = w,
            Loss = trainStats.Loss, LogRatioMean = trainStats.MeanLogRatio, LogRatioAbsMean = trainStats.MeanAbsLogRatio,
            GradNorm = trainStats.GradNorm, RolloutMismatch = trainStats.RolloutMismatch, LearningRate = trainStats.LearningRate, Tau = trainStats.Tau,
            RolloutTokensPerSecond = generation > 0 ? NewTokens / generation : 0,
            TrainTokensPerSecond = trainStats.TokensPerSecond,
            MaxEligibleDifficulty = env.Context.Sampler.MaxEligibleDifficulty,
            IterationSeconds = wall, GenerationSeconds = generation, JudgeSeconds = JudgeSeconds, TrainSeconds = trainStats.Elapsed.TotalSeconds,
            // Weight sync: the trainer's publish (its reply's time beyond the optimizer's), then every generator fetching,
            // verifying and loading the new version while the durable checkpoint is written.
            PublishSeconds = Math.Max(0, (Trained?.Seconds ?? 0) - trainStats.Elapsed.TotalSeconds)
                + (PublishedAt is { } published ? Math.Max(0, (env.Now - published).TotalSeconds) : 0),
            Responses = rollout.Responses, Resumed = rollout.Resumed, CutFraction = rollout.CutFraction,
            RepeatStops = rollout.RepeatStops, MaxLengthStops = rollout.MaxLengthStops, PendingResponses = Buffer.UnfinishedCount,
            SegmentsPerResponse = all.Count == 0 ? 0 : all.Average(s => Math.Max(1, s.Trajectory.Segments.Count)),
            // The share of the iteration each generator slot was not generating, averaged over the run's slots.
            GeneratorIdleFraction = wall > 0 ? Math.Clamp(1 - GenerationSeconds.Values.Sum() / (slots * wall), 0, 1) : 0,
            TrainedTokens = trainedTokens, TrainedTokensPerSecond = wall > 0 ? trainedTokens / wall : 0,
            Hyperparameters = Tunables.ValuesOf(options),
            // Iteration wall time not spent generating, judging or training: the cost of orchestration.
            OverheadFraction = wall > 0 ? Math.Max(0, wall - inside) / wall : 0,
        };
    }

    /// <summary>The decoding settings of a run's rollouts.</summary>
    public static RolloutSettings RolloutSettingsOf(RunOptions options) => new()
    {
        Temperature = options.Rollout.Temperature, TopP = options.Rollout.TopP,
        MaxResponseTokens = options.Rollout.MaxResponseTokens, MaxBatchSize = options.Rollout.MaxBatchSize,
        TokenBudget = options.Rollout.TokenBudget, StopTokens = options.StopTokens, CudaGraphs = options.Rollout.CudaGraphs,
        RepeatDetector = options.Rollout.Repeat.Enabled
            ? new PeriodicRepeatDetector(options.Rollout.Repeat.MaxPeriod, options.Rollout.Repeat.MinSpan).Validate()
            : null,
    };

    /// <summary>
    /// Splits requests over <paramref name="generators"/> by group (all samples of a group on one generator, so the group
    /// finishes under one schedule), continuations first on each.
    /// </summary>
    public static List<List<RolloutRequest>> SplitByGroup(IReadOnlyList<RolloutRequest> requests, int generators)
    {
        var parts = Enumerable.Range(0, generators).Select(_ => new List<RolloutRequest>()).ToList();
        var slotOf = new Dictionary<GroupKey, int>();
        foreach (var r in requests)
        {
            if (!slotOf.TryGetValue(r.Id.Group, out int slot)) slotOf[r.Id.Group] = slot = slotOf.Count % generators;
            parts[slot].Add(r);
        }
        return parts;
    }
}
