using System.Collections.Immutable;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Rl.Runs;

/// <summary>Where a run's session is. Only <see cref="Iterating"/> has sub-stages (<see cref="IterationStage"/>).</summary>
public enum RunPhase
{
    /// <summary>Attaching the trainer and generators and (for a continued run) rebuilding the prompt index.</summary>
    Preparing,
    /// <summary>Fresh (or given) weights on the trainer.</summary>
    Initialising,
    WarmupSft,
    /// <summary>The SFT policy loads on the generators and is checkpointed.</summary>
    PublishingSft,
    EvaluatingSft,
    /// <summary>A continued run: its committed checkpoint goes back into the trainer and the generators.</summary>
    Restoring,
    Iterating,
    /// <summary>The held-out evaluation every <c>eval.every-iterations</c> iterations.</summary>
    EvaluatingIteration,
    /// <summary>Held at an iteration boundary until resumed (or stopped).</summary>
    Paused,
    /// <summary>The final evaluation.</summary>
    Finishing,
    Completed,
    Failed,
}

/// <summary>How a generator slot stands in this session.</summary>
public enum GeneratorState { Pending, Up, Down }

/// <summary>
/// The durable checkpoint a continued run is restoring (the point after <paramref name="Iterations"/> committed
/// iterations), and what was wrong with the newer ones it skipped (empty: it is the newest).
/// </summary>
public sealed record RestoreAttempt(int Iterations, CheckpointRef Checkpoint, ImmutableList<string> Damaged);

/// <summary>An evaluation in flight and what it is for.</summary>
public sealed record PendingEvaluation(RequestId Request, GeneratorSlot Slot, EvaluationLabel Label, int Iteration);

/// <summary>
/// The k1.5 master of one run as a pure state machine: <see cref="Next"/>(state, input) → (state, commands). It owns the
/// order of a session — attach workers, (warm-up SFT and its evaluation | restore the committed checkpoint), then
/// iterations (<see cref="IterationState"/>) with their periodic evaluations, pause and stop at iteration boundaries,
/// hyperparameter changes at the next boundary, the final evaluation — and what is durable (<see cref="Persist"/>).
/// It does no I/O: the Run entity persists and routes what it says; the local engine performs it in process.
/// </summary>
public sealed record RunMachine
{
    public required RunId RunId { get; init; }
    public required long Session { get; init; }
    public long NextSequence { get; init; }
    public RunPhase Phase { get; init; }
    /// <summary>The options in force for the current iteration.</summary>
    public required RunOptions Options { get; init; }
    /// <summary>Validated options waiting for the next iteration boundary.</summary>
    public RunOptions? PendingOptions { get; init; }
    public required RunProgress Progress { get; init; }
    public required ImmutableSortedDictionary<int, GeneratorState> Generators { get; init; }
    public required int JudgeSlots { get; init; }
    public bool TrainerUp { get; init; }
    public bool CountsLoaded { get; init; }
    public bool PausePending { get; init; }
    public bool StopPending { get; init; }
    /// <summary>The one trainer request of the current phase (init, SFT, restore).</summary>
    public RequestId? Pending { get; init; }
    public SftDone? Sft { get; init; }
    /// <summary>A continued run's restore in flight (phase Restoring).</summary>
    public RestoreAttempt? Restore { get; init; }
    public Publication? Publication { get; init; }
    public PendingEvaluation? Evaluation { get; init; }
    public IterationState? Iteration { get; init; }
    /// <summary>A committed iteration's metrics, reported once its periodic evaluation is in.</summary>
    public IterationMetrics? Unreported { get; init; }
    public int SessionStart { get; init; }
    public ImmutableList<double> Overheads { get; init; } = [];
    public long Parameters { get; init; }
    public string Device { get; init; } = "";
    /// <summary>How the generators' decoding steps ran, as they last reported it (cuda-graph or eager).</summary>
    public string Decoding { get; init; } = "";
    public string? FailureReason { get; init; }
    /// <summary>Worker restarts seen in this session (trainer and generators).</summary>
    public int WorkerRestarts { get; init; }

    public bool IsOver => Phase is RunPhase.Completed or RunPhase.Failed;

    public IEnumerable<GeneratorSlot> AvailableGenerators =>
        Generators.Where(g => g.Value == GeneratorState.Up).Select(g => new GeneratorSlot(g.Key));

    /// <summary>
    /// A session of a run: a new one (no SFT yet) or a continued one from <paramref name="progress"/>. Attaches the trainer
    /// and <paramref name="generatorSlots"/> generators and, when iterations were committed, asks for the prompt counts
    /// to rebuild the sampler from.
    /// </summary>
    /// <param name="session">A nonce that differs between sessions, so replies to an older session are never taken for this one's.</param>
    public static Decision Start(RunContext context, RunId runId, RunOptions options, RunProgress progress, int generatorSlots, int judgeSlots,
        long session)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(generatorSlots, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(judgeSlots, 1);
        var fx = new Effects(session, 1);
        fx.Add(new AttachTrainer());
        for (int s = 0; s < generatorSlots; s++) fx.Add(new AttachGenerator(new GeneratorSlot(s)));
        if (progress.CommittedIterations > 0) fx.Add(new LoadPromptCounts(progress.CommittedIterations));
        if (progress.CurriculumLevel > 0) context.Sampler.AdvanceCurriculumTo(progress.CurriculumLevel);
        var machine = new RunMachine
        {
            RunId = runId, Session = session, NextSequence = fx.NextSequence, Phase = RunPhase.Preparing, Options = options, Progress = progress,
            Generators = Enumerable.Range(0, generatorSlots).ToImmutableSortedDictionary(s => s, _ => GeneratorState.Pending),
            JudgeSlots = judgeSlots, CountsLoaded = progress.CommittedIterations == 0, SessionStart = progress.CommittedIterations,
        };
        return new Decision(machine, fx.Commands);
    }

    /// <summary>The next state and commands after <paramref name="input"/>, at monotonic time <paramref name="now"/>.</summary>
    public Decision Next(RunContext context, IRunInput input, TimeSpan now)
    {
        var fx = new Effects(Session, NextSequence);
        var next = IsOver ? this : Step(context, input, now, fx);
        return new Decision(next with { NextSequence = fx.NextSequence }, fx.Commands);
    }

    private RunMachine Step(RunContext ctx, IRunInput input, TimeSpan now, Effects fx)
    {
        if (input is BatchGenerated { Decoding.Length: > 0 } generated && generated.Decoding != Decoding)
            return (this with { Decoding = generated.Decoding }).Step(ctx, input, now, fx);
        if (input is TrainerAvailable { Incarnation: > 1 } or GeneratorAvailable { Incarnation: > 1 })
        {
            var (worker, incarnation, reason) = input is TrainerAvailable t ? ("trainer", t.Incarnation, t.RestartReason)
                : input is GeneratorAvailable g ? (g.Slot.ToString(), g.Incarnation, g.RestartReason) : default;
            fx.Add(new Report(new WorkerRestarted(worker, incarnation, reason ?? "unknown")));
            return (this with { WorkerRestarts = WorkerRestarts + 1 }).Handle(ctx, input, now, fx);
        }
        return Handle(ctx, input, now, fx);
    }

    private RunMachine Handle(RunContext ctx, IRunInput input, TimeSpan now, Effects fx)
    {
        switch (input)
        {
            case TrainerUnavailable m: return Fail(fx, $"the trainer's worker is unavailable: {m.Reason}");
            case RunAborted m: return Fail(fx, m.Reason);
            case WorkRejected m when IsMine(m.Request): return Fail(fx, $"a worker refused request {m.Request}: {m.Reason}");
            case PauseRequested: return Phase == RunPhase.Paused ? this : this with { PausePending = true };
            case StopRequested: return Phase == RunPhase.Paused ? (this with { StopPending = true }).BeginFinish(ctx, fx) : this with { StopPending = true };
            case ResumeRequested when Phase == RunPhase.Paused:
                fx.Add(new Persist(new RunUnpaused()));
                return (this with { PausePending = false, Progress = Progress.Apply(new RunUnpaused()) }).Boundary(ctx, now, fx);
            case ResumeRequested: return this with { PausePending = false };
            case OptionsChanged m: return this with { PendingOptions = m.Options };
            case GeneratorAvailable m: return OnGeneratorAvailable(m, ctx, now, fx);
            case GeneratorUnavailable m: return OnGeneratorLost(m, ctx, now, fx);
        }
        return Phase switch
        {
            RunPhase.Preparing => Preparing(ctx, input, now, fx),
            RunPhase.Initialising when input is PolicyReady r && r.Request == Pending => OnInitialised(r, fx),
            RunPhase.WarmupSft when input is SftStepDone s && s.Request == Pending => Reported(fx, new SftStepReported(s.Step)),
            RunPhase.WarmupSft when input is SftDone d && d.Request == Pending => this with
            {
                Phase = RunPhase.PublishingSft, Pending = null, Sft = d, Publication = Publication.Start(fx, d.Weights, AvailableGenerators, save: true),
            },
            RunPhase.PublishingSft when input is IRunReply r && Publication?.On(r) is { } p => (this with { Publication = p }).AfterSftPublished(ctx, fx),
            RunPhase.Restoring when input is PolicyRestored r && r.Request == Pending => OnRestored(ctx, r, fx),
            RunPhase.Restoring when input is CheckpointUnusable u && u.Request == Pending => FallBack(u, fx),
            RunPhase.Restoring when input is PromptCountsLoaded m => Restored(ctx, m, fx).AfterRestored(ctx, now, fx),
            RunPhase.Restoring when input is IRunReply r && Publication?.On(r) is { } p => (this with { Publication = p }).AfterRestored(ctx, now, fx),
            RunPhase.Iterating => Iterating(ctx, input, now, fx),
            RunPhase.EvaluatingSft or RunPhase.EvaluatingIteration or RunPhase.Finishing when input is HeldOutEvaluated e && e.Request == Evaluation?.Request =>
                Evaluated(ctx, e.Evaluation, now, fx),
            _ => this,
        };
    }

    // ------------------------------------------------------------------ preparing

    private RunMachine Preparing(RunContext ctx, IRunInput input, TimeSpan now, Effects fx)
    {
        var next = input switch
        {
            TrainerAvailable => this with { TrainerUp = true },
            PromptCountsLoaded m => Restored(ctx, m, fx),
            _ => this,
        };
        return next.Prepared(fx);
    }

    private RunMachine Restored(RunContext ctx, PromptCountsLoaded m, Effects fx)
    {
        var unknown = ctx.RestoreCounts(m.Counts);
        // The curriculum level a success-rate schedule reached depends on history: restore it after the counts.
        if (Progress.CurriculumLevel > 0) ctx.Sampler.AdvanceCurriculumTo(Progress.CurriculumLevel);
        // Prompts the set no longer has keep their events; nothing draws them.
        if (unknown.Count > 0)
            fx.Add(new Report(new RunWarning($"{unknown.Count} prompts in the journal are not in the prompt set (first: {unknown[0]})")));
        return this with { CountsLoaded = true };
    }

    /// <summary>Every worker has reported and the index is rebuilt: warm-up for a new run, restore for a continued one.</summary>
    private RunMachine Prepared(Effects fx)
    {
        if (!TrainerUp || !CountsLoaded || Generators.Values.Any(g => g == GeneratorState.Pending)) return this;
        if (!AvailableGenerators.Any()) return Fail(fx, "no rollout generator became available");
        if (!Progress.SftDone)
        {
            var init = fx.Add(new InitPolicy(fx.NewRequest(), Options.Model, Options.Seed, Options.InitCheckpoint, Options.Dtype));
            return this with { Phase = RunPhase.Initialising, Pending = init.Request };
        }
        if (Progress.Checkpoint is null) return Fail(fx, $"run {RunId} has finished warm-up SFT but its journal names no checkpoint");
        var restore = fx.Add(new RestoreCheckpoint(fx.NewRequest(), Progress.WeightVersion, Progress.Checkpoint));
        return this with
        {
            Phase = RunPhase.Restoring, Pending = restore.Request, Restore = new RestoreAttempt(Progress.CommittedIterations, Progress.Checkpoint, []),
        };
    }

    /// <summary>
    /// The checkpoint being restored is damaged: try the newest older durable point (the fallback is reported once it
    /// succeeds, with every checkpoint it skipped), republished above every
    /// version the run made durable (versions never go backwards); with none left, the run cannot continue.
    /// </summary>
    private RunMachine FallBack(CheckpointUnusable m, Effects fx)
    {
        var attempt = Restore!;
        var damaged = attempt.Damaged.Add($"the checkpoint of iteration {attempt.Iterations} ({attempt.Checkpoint.Directory}) is damaged: {m.Problem}");
        var older = Progress.Durable.LastOrDefault(p => p.CommittedIterations < attempt.Iterations && p.Checkpoint.Directory != attempt.Checkpoint.Directory);
        if (older is null)
            return Fail(fx, $"run {RunId} cannot continue: {string.Join("; ", damaged)}; the journal records no older durable checkpoint " +
                "(kimi.persistence.keep-checkpoints says how many are kept on disk)");
        var restore = fx.Add(new RestoreCheckpoint(fx.NewRequest(), Progress.HighestVersion + 1, older.Checkpoint));
        return this with { Pending = restore.Request, Restore = new RestoreAttempt(older.CommittedIterations, older.Checkpoint, damaged) };
    }

    /// <summary>
    /// The trainer holds the restored weights: the generators load them. After a fallback the run first records where it
    /// now stands (<see cref="RolledBack"/>) and rebuilds its sampler from the Prompt events before that point.
    /// </summary>
    private RunMachine OnRestored(RunContext ctx, PolicyRestored r, Effects fx)
    {
        var next = this with { Pending = null, Parameters = r.Parameters, Device = r.Device };
        if (Restore is { Damaged.Count: > 0 } attempt)
        {
            var rolled = new RolledBack(Progress.CommittedIterations, attempt.Iterations, r.Weights.Version, attempt.Checkpoint, attempt.Damaged);
            fx.Add(new Persist(rolled));
            fx.Add(new Report(new RunRolledBack(rolled.FromIteration, rolled.ToIteration, rolled.WeightVersion, rolled.Checkpoint, rolled.Damaged)));
            ctx.ResetSampler();
            fx.Add(new LoadPromptCounts(attempt.Iterations));
            next = next with { Progress = Progress.Apply(rolled), SessionStart = attempt.Iterations, CountsLoaded = false };
        }
        return next with { Publication = Publication.Start(fx, r.Weights, AvailableGenerators, save: false) };
    }

    private RunMachine OnGeneratorAvailable(GeneratorAvailable m, RunContext ctx, TimeSpan now, Effects fx)
    {
        if (!Generators.ContainsKey(m.Slot.Index)) return this;
        var next = this with { Generators = Generators.SetItem(m.Slot.Index, GeneratorState.Up) };
        // A restarted worker reloads the last weights it confirmed by itself; only the first report matters here.
        return Phase == RunPhase.Preparing ? next.Prepared(fx) : next;
    }

    private RunMachine OnGeneratorLost(GeneratorUnavailable m, RunContext ctx, TimeSpan now, Effects fx)
    {
        if (!Generators.ContainsKey(m.Slot.Index)) return this;
        var next = this with { Generators = Generators.SetItem(m.Slot.Index, GeneratorState.Down) };
        var remaining = next.AvailableGenerators.ToList();
        switch (Phase)
        {
            case RunPhase.Preparing:
                return next.Prepared(fx);
            case RunPhase.Iterating when Iteration is { } iteration:
                return next.Continue(ctx, iteration.On(m, next.Env(ctx, now), fx), now, fx);
        }
        if (remaining.Count == 0 && !next.IsOver && Phase is not (RunPhase.Paused or RunPhase.Initialising or RunPhase.WarmupSft))
            return next.Fail(fx, $"every rollout generator is unavailable ({m.Slot}: {m.Reason})");
        if (next.Publication is { } publication)
        {
            next = next with { Publication = publication.Without(m.Slot) };
            if (Phase == RunPhase.PublishingSft) return next.AfterSftPublished(ctx, fx);
            if (Phase == RunPhase.Restoring) return next.AfterRestored(ctx, now, fx);
        }
        if (next.Evaluation is { } e && e.Slot == m.Slot)
            // Run the evaluation again on a generator that is still there.
            return next.StartEvaluation(ctx, fx, e.Label, e.Iteration, next.Phase);
        return next;
    }

    // ------------------------------------------------------------------ warm-up

    private RunMachine OnInitialised(PolicyReady r, Effects fx)
    {
        var sft = fx.Add(new RunWarmupSft(fx.NewRequest(), Options.Tasks, Options.Sft, Options.Seed));
        return this with { Phase = RunPhase.WarmupSft, Pending = sft.Request, Parameters = r.Parameters, Device = r.Device };
    }

    private RunMachine AfterSftPublished(RunContext ctx, Effects fx)
    {
        if (Publication is not { Done: true } p) return this;
        if (p.Saved is not { } checkpoint) return Fail(fx, "the SFT checkpoint was not saved");
        var finished = new SftFinished(p.Weights.Version, checkpoint, Sft!.Seconds);
        fx.Add(new Persist(finished));
        fx.Add(new Report(new CheckpointReported(CheckpointLabel.Sft, p.Weights.Version, checkpoint)));
        var next = this with { Progress = Progress.Apply(finished), Publication = null, Sft = null };
        return next.StartEvaluation(ctx, fx, EvaluationLabel.Sft, 0, RunPhase.EvaluatingSft);
    }

    private RunMachine AfterRestored(RunContext ctx, TimeSpan now, Effects fx) =>
        Publication is { Done: true } && CountsLoaded ? (this with { Publication = null, Restore = null }).Boundary(ctx, now, fx) : this;

    // ------------------------------------------------------------------ iterations

    private IterationEnv Env(RunContext ctx, TimeSpan now) => new(ctx, Options, AvailableGenerators.ToList(), Generators.Count, JudgeSlots,
        Progress.WeightVersion, Progress.Checkpoint ?? new CheckpointRef("", ""), now, Progress.TargetIterations);

    /// <summary>An iteration boundary: stop, pause, or take the pending options and start the next iteration.</summary>
    private RunMachine Boundary(RunContext ctx, TimeSpan now, Effects fx)
    {
        if (StopPending || Progress.CommittedIterations >= Progress.TargetIterations) return BeginFinish(ctx, fx);
        if (PausePending)
        {
            fx.Add(new Persist(new RunPaused()));
            return this with { Phase = RunPhase.Paused, PausePending = false, Progress = Progress.Apply(new RunPaused()) };
        }
        var next = this;
        if (Progress.Paused)
        {
            // A run continued after it was paused: it runs again.
            fx.Add(new Persist(new RunUnpaused()));
            next = next with { Progress = Progress.Apply(new RunUnpaused()) };
        }
        // Hyperparameter changes take effect here, at an iteration boundary; a changed sampling strategy, floor or
        // curriculum rebuilds the sampler with the counts it had.
        if (PendingOptions is { } pending)
        {
            ctx.ChangeSampling(pending.Sampling);
            next = next with { Options = pending, PendingOptions = null };
        }
        var iteration = IterationState.Begin(next.Env(ctx, now), fx, next.Progress.CommittedIterations, next.Progress.Replay);
        return next.Continue(ctx, iteration, now, fx);
    }

    private RunMachine Iterating(RunContext ctx, IRunInput input, TimeSpan now, Effects fx) =>
        Iteration is { } iteration ? Continue(ctx, iteration.On(input, Env(ctx, now), fx), now, fx) : this;

    /// <summary>After an iteration step: fail, go on, or commit (persist, release older weights, evaluate or report).</summary>
    private RunMachine Continue(RunContext ctx, IterationState iteration, TimeSpan now, Effects fx)
    {
        if (iteration.Failure is { } failure) return Fail(fx, failure);
        if (iteration.Commit is not { } commit) return this with { Iteration = iteration, Phase = RunPhase.Iterating };
        fx.Add(new Persist(commit));
        // Older weights are no longer needed by any generator (staleness 0).
        fx.Add(new ReleaseWeights(commit.WeightVersion));
        var next = this with
        {
            Iteration = null, Progress = Progress.Apply(commit), Overheads = Overheads.Add(commit.Metrics.OverheadFraction),
        };
        if (EvaluateAfter(commit.Iteration, next.Progress.TargetIterations, Options))
            return (next with { Unreported = commit.Metrics }).StartEvaluation(ctx, fx, EvaluationLabel.Periodic, commit.Iteration + 1,
                RunPhase.EvaluatingIteration);
        fx.Add(new Report(new IterationReported(commit.Metrics)));
        return next.Boundary(ctx, now, fx);
    }

    /// <summary>Whether the validation set is evaluated after <paramref name="iteration"/> (not after the last: the end of the run evaluates it).</summary>
    public static bool EvaluateAfter(int iteration, int targetIterations, RunOptions options) =>
        options.Eval.EveryIterations > 0 && (iteration + 1) % options.Eval.EveryIterations == 0 && iteration + 1 < targetIterations;

    /// <summary>
    /// Whether the validation set is also evaluated after SFT and at the end, so the learning curve of periodic evaluations
    /// spans the whole run: with periodic evaluations on and a validation set of its own (a suite without one evaluates
    /// its test set then, which those two evaluations already cover).
    /// </summary>
    private bool CurveEnds(RunContext ctx) => Options.Eval.EveryIterations > 0 && ctx.Tasks.Validation.Count > 0;

    // ------------------------------------------------------------------ evaluations and the end

    /// <summary>
    /// Evaluates on a generator: the test set after SFT and at the end (<see cref="EvaluationLabel.Sft"/>,
    /// <see cref="EvaluationLabel.Final"/>), the validation set otherwise (<see cref="EvaluationLabel.Periodic"/>), so
    /// nothing a run is tuned or watched by is the set it reports.
    /// </summary>
    private RunMachine StartEvaluation(RunContext ctx, Effects fx, EvaluationLabel label, int iteration, RunPhase phase)
    {
        var available = AvailableGenerators.ToList();
        if (available.Count == 0) return Fail(fx, "no rollout generator is available to evaluate on");
        var slot = available[0];
        var prompts = label == EvaluationLabel.Periodic ? ctx.Validation : ctx.Test;
        var evaluate = fx.Add(new Evaluate(fx.NewRequest(), slot, prompts, EvaluationPlan.Of(Options)));
        return this with { Phase = phase, Evaluation = new PendingEvaluation(evaluate.Request, slot, label, iteration) };
    }

    private RunMachine Evaluated(RunContext ctx, HeldOutEvaluation evaluation, TimeSpan now, Effects fx)
    {
        var e = Evaluation!;
        var recorded = new HeldOutRecorded(e.Label, e.Iteration, evaluation);
        fx.Add(new Persist(recorded));
        fx.Add(new Report(new EvaluationReported(e.Label, e.Iteration, evaluation)));
        var next = this with { Evaluation = null, Progress = Progress.Apply(recorded) };
        switch (e.Label)
        {
            case EvaluationLabel.Sft when next.CurveEnds(ctx):
                // The learning curve's first point, on the validation set.
                return next.StartEvaluation(ctx, fx, EvaluationLabel.Periodic, e.Iteration, RunPhase.EvaluatingSft);
            case EvaluationLabel.Periodic when Phase == RunPhase.Finishing:
                return next.StartEvaluation(ctx, fx, EvaluationLabel.Final, e.Iteration, RunPhase.Finishing);
            case EvaluationLabel.Periodic when Unreported is { } metrics:
                fx.Add(new Report(new IterationReported(metrics with
                {
                    ValidationAccuracy = evaluation.Accuracy,
                    ValidationAccuracyByDifficulty = evaluation.Primary.ByDifficulty.ToDictionary(p => p.Key, p => p.Value.Accuracy),
                })));
                return (next with { Unreported = null }).Boundary(ctx, now, fx);
            case EvaluationLabel.Final:
                return next.Complete(evaluation, fx);
            default:
                return next.Boundary(ctx, now, fx);
        }
    }

    /// <summary>The end: the validation set's last point (when there is a curve), then the test set.</summary>
    private RunMachine BeginFinish(RunContext ctx, Effects fx) =>
        StartEvaluation(ctx, fx, CurveEnds(ctx) ? EvaluationLabel.Periodic : EvaluationLabel.Final, Progress.CommittedIterations, RunPhase.Finishing);

    private RunMachine Complete(HeldOutEvaluation final, Effects fx)
    {
        var completed = new RunCompleted(Progress.CommittedIterations);
        fx.Add(new Persist(completed));
        var progress = Progress.Apply(completed);
        var checkpoint = progress.Checkpoint!;
        fx.Add(new Report(new CheckpointReported(CheckpointLabel.Final, progress.WeightVersion, checkpoint)));
        fx.Add(new Report(new RunFinished(SessionStart, progress.CommittedIterations, progress.WeightVersion, progress.SftEvaluation, final,
            checkpoint, Overheads.DefaultIfEmpty().Average(), Parameters, Device, progress.SftSeconds, Decoding)));
        fx.Add(new SetResendTimer(false));
        fx.Add(new DetachWorkers(Generators.Keys.Select(s => new GeneratorSlot(s)).ToList()));
        return this with { Phase = RunPhase.Completed, Progress = progress };
    }

    private RunMachine Fail(Effects fx, string reason)
    {
        if (IsOver) return this;
        fx.Add(new SetResendTimer(false));
        fx.Add(new Report(new RunFailed(reason)));
        fx.Add(new DetachWorkers(Generators.Keys.Select(s => new GeneratorSlot(s)).ToList()));
        return this with { Phase = RunPhase.Failed, FailureReason = reason, Iteration = null, Publication = null, Evaluation = null };
    }

    private RunMachine Reported(Effects fx, IRunReport report)
    {
        fx.Add(new Report(report));
        return this;
    }

    private bool IsMine(RequestId request) =>
        request.Session == Session && (request == Pending || request == Evaluation?.Request || Publication?.IsWaitingFor(request) == true
            || Iteration?.IsWaitingFor(request) == true);
}
