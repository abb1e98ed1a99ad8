using Kimi.Actors.Rl.Sampling;
using Kimi.Actors.Model.Generation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Optimization;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Rl.Tests.Runs;

/// <summary>
/// The run machine's transitions without an ActorSystem, a model or a tensor: every command it issues and every fact it
/// persists, step by step, for a new run, a continued run, a generator failure, partial rollouts, pause, stop,
/// hyperparameter changes and refusals.
/// </summary>
public class RunMachineTests
{
    [Fact]
    public void A_new_run_attaches_its_workers_then_initialises_the_policy_once_every_worker_is_up()
    {
        var h = new MachineHarness(generators: 2);
        Assert.Equal(RunPhase.Preparing, h.Machine.Phase);
        Assert.Equal([typeof(AttachTrainer), typeof(AttachGenerator), typeof(AttachGenerator)], h.Issued.Select(c => c.GetType()));
        Assert.Equal([0, 1], h.Of<AttachGenerator>().Select(a => a.Slot.Index));

        h.Issued.Clear();
        h.Answer = _ => null; // answer by hand
        Assert.Empty(h.Feed(new TrainerAvailable(1)));
        Assert.Empty(h.Feed(new GeneratorAvailable(new GeneratorSlot(0), 1)));
        var init = Assert.IsType<InitPolicy>(Assert.Single(h.Feed(new GeneratorAvailable(new GeneratorSlot(1), 1))));
        Assert.Equal(RunPhase.Initialising, h.Machine.Phase);
        var sft = Assert.IsType<RunWarmupSft>(Assert.Single(h.Feed(new PolicyReady(init.Request, 0, 1234, "cuda:0"))));
        Assert.Equal((RunPhase.WarmupSft, 1234L, "cuda:0"), (h.Machine.Phase, h.Machine.Parameters, h.Machine.Device));

        // SFT progress is reported; a reply to a request of another session or step changes nothing.
        Assert.IsType<SftStepReported>(Assert.IsType<Report>(Assert.Single(h.Feed(new SftStepDone(sft.Request, MachineStep())))).Progress);
        Assert.Empty(h.Feed(new SftStepDone(new RequestId(7, sft.Request.Sequence), MachineStep())));
        Assert.Empty(h.Feed(new PolicyReady(init.Request, 0, 1, "cpu")));

        // The SFT weights go to both generators and into a durable checkpoint before anything is persisted.
        var published = h.Feed(new SftDone(sft.Request, h.Published(1), 3.5));
        Assert.Equal(RunPhase.PublishingSft, h.Machine.Phase);
        var loads = published.OfType<LoadWeights>().ToList();
        Assert.Equal([0, 1], loads.Select(l => l.Slot.Index));
        var save = Assert.Single(published.OfType<SaveCheckpoint>());
        Assert.Equal(1, save.Version);
        Assert.Empty(h.Feed(new PolicyReady(loads[0].Request, 1, 1, "cpu")));
        Assert.Empty(h.Feed(new CheckpointSaved(save.Request, 1, new CheckpointRef("/ck/v1", "abc"))));
        var afterLast = h.Feed(new PolicyReady(loads[1].Request, 1, 1, "cpu"));
        var finished = Assert.IsType<SftFinished>(Assert.IsType<Persist>(afterLast[0]).Fact);
        Assert.Equal((1L, "/ck/v1", "abc", 3.5), (finished.WeightVersion, finished.Checkpoint.Directory, finished.Checkpoint.Sha256, finished.Seconds));
        Assert.Equal(CheckpointLabel.Sft, Assert.IsType<CheckpointReported>(Assert.IsType<Report>(afterLast[1]).Progress).Label);
        var evaluate = Assert.IsType<Evaluate>(afterLast[2]);
        Assert.Equal((RunPhase.EvaluatingSft, 0), (h.Machine.Phase, evaluate.Slot.Index));
        Assert.Same(h.Context.Test, evaluate.Prompts);

        // The SFT evaluation is recorded, then the first iteration's rollouts go out: whole groups per generator.
        var first = h.Feed(new HeldOutEvaluated(evaluate.Request, MachineHarness.Evaluation(0.3), 1));
        Assert.Equal(EvaluationLabel.Sft, Assert.IsType<HeldOutRecorded>(Assert.IsType<Persist>(first[0]).Fact).Label);
        var generates = first.OfType<Generate>().ToList();
        Assert.Equal((RunPhase.Iterating, 2), (h.Machine.Phase, generates.Count));
        Assert.All(generates, g => Assert.Equal(2, g.Requests.Count));
        Assert.All(generates, g => Assert.Single(g.Requests.Select(r => r.Id.Group).Distinct()));
        Assert.Equal([0, 1], generates.Select(g => g.Slot.Index));
        Assert.Contains(first, c => c is SetResendTimer { On: true });
        Assert.Equal(0.3, h.Machine.Progress.SftEvaluation!.Accuracy);
    }

    [Fact]
    public void An_iteration_judges_records_trains_publishes_and_commits_in_that_order()
    {
        var h = new MachineHarness(MachineHarness.Options(iterations: 1));
        h.Drive(m => m.Machine.Phase == RunPhase.Iterating);
        h.Issued.Clear();
        h.Drive(m => m.Facts.OfType<IterationCommitted>().Any());

        var order = h.Issued.Select(c => c.GetType().Name).ToList();
        int Index(string name) => order.IndexOf(name);
        int LastIndex(string name) => order.LastIndexOf(name);
        Assert.True(LastIndex(nameof(Judge)) < Index(nameof(RecordGroup)));
        Assert.True(LastIndex(nameof(RecordGroup)) < Index(nameof(LoadWeights)));
        Assert.True(Index(nameof(TrainGroups)) < Index(nameof(LoadWeights)));
        Assert.True(LastIndex(nameof(LoadWeights)) < Index(nameof(Persist)));
        Assert.True(Index(nameof(SaveCheckpoint)) < Index(nameof(Persist)));

        var train = Assert.Single(h.Of<TrainGroups>());
        Assert.Equal((0, 1L, 2), (train.Iteration, train.CurrentVersion, train.Groups.Count));
        Assert.All(train.Groups, g => Assert.Equal(2, g.K));
        // The mean-reward baseline sees shaped rewards: sample 0 correct (1), sample 1 wrong (0).
        Assert.All(train.Groups, g => Assert.Equal([1.0, 0.0], g.ShapedRewards));
        var records = h.Of<RecordGroup>();
        Assert.Equal(train.Groups.Select(g => g.Group).Order(), records.Select(r => r.Group).Order());
        Assert.All(records, r => Assert.Equal([true, false], r.Samples.Select(s => s.Correct)));

        var commit = Assert.Single(h.Facts.OfType<IterationCommitted>());
        Assert.Equal((0, 2L, "/ck/v2"), (commit.Iteration, commit.WeightVersion, commit.Checkpoint.Directory));
        // What the trainer reported it consumed is what the commit records, trajectory by trajectory.
        Assert.Equal(train.Groups.SelectMany(g => g.Samples.Select(s => s.Trajectory.Id)).Order(), commit.Trained.SelectMany(t => t.Trajectories).Order());
        Assert.Equal((2, 4, 0.5), (commit.Metrics.Prompts, commit.Metrics.Samples, commit.Metrics.Accuracy));
        Assert.True(commit.Metrics.IterationSeconds > 0);
        Assert.InRange(commit.Metrics.OverheadFraction, 0, 1);
        Assert.InRange(commit.Metrics.GeneratorIdleFraction, 0, 1);
        // Weight sync: the trainer's publish (its reply beyond the optimizer's time) and the clock from the first weight
        // load issued to the commit.
        var publishedAt = h.IssuedAt[h.Issued.FindIndex(c => c is LoadWeights)];
        var committedAt = h.IssuedAt[h.Issued.FindIndex(c => c is Persist { Fact: IterationCommitted })];
        Assert.Equal(MachineHarness.TrainReplySeconds - MachineHarness.Stats.Elapsed.TotalSeconds + (committedAt - publishedAt).TotalSeconds,
            commit.Metrics.PublishSeconds, 9);
        Assert.True(commit.Metrics.PublishSeconds > 0.3);
        Assert.Empty(commit.Replay.Groups);
        // After the commit: older weights are released and the iteration is reported.
        int persisted = h.Issued.FindIndex(c => c is Persist { Fact: IterationCommitted });
        Assert.Equal(2, Assert.IsType<ReleaseWeights>(h.Issued[persisted + 1]).Below);
        Assert.IsType<IterationReported>(Assert.IsType<Report>(h.Issued[persisted + 2]).Progress);
        // Recorded groups reached the sampler.
        Assert.Equal(4, Enumerable.Range(0, h.Context.Tasks.Train.Count).Sum(i => h.Context.Sampler.Counts(i).Attempts));
    }

    [Fact]
    public void A_run_reaches_its_target_evaluates_and_completes()
    {
        var h = new MachineHarness(MachineHarness.Options(iterations: 2));
        h.DriveToEnd();
        Assert.Equal(RunPhase.Completed, h.Machine.Phase);
        var facts = h.Facts.ToList();
        Assert.Equal([typeof(SftFinished), typeof(HeldOutRecorded), typeof(IterationCommitted), typeof(IterationCommitted), typeof(HeldOutRecorded),
            typeof(RunCompleted)], facts.Select(f => f.GetType()));
        Assert.Equal(EvaluationLabel.Final, ((HeldOutRecorded)facts[4]).Label);
        Assert.Equal(2, ((RunCompleted)facts[5]).EndIteration);
        var finished = Assert.Single(h.Reports.OfType<RunFinished>());
        Assert.Equal((0, 2, 3L), (finished.StartIteration, finished.EndIteration, finished.WeightVersion));
        Assert.Equal(["/ck/v3"], h.Reports.OfType<CheckpointReported>().Where(c => c.Label == CheckpointLabel.Final).Select(c => c.Checkpoint.Directory));
        Assert.IsType<DetachWorkers>(h.Issued[^1]);
        Assert.Equal((2, 3L, true), (h.Machine.Progress.CommittedIterations, h.Machine.Progress.WeightVersion, h.Machine.Progress.Completed));
        // Nothing more happens once it is over.
        Assert.Empty(h.Feed(new StopRequested()));
    }

    [Fact]
    public void Each_iteration_trains_at_its_scheduled_learning_rate()
    {
        // Cosine over 4 iterations with 2 of warm-up from 1e-3 to 1e-4: 1e-3 · 1/2, 1e-3, then cos from the peak, 1e-4 + 9e-4 · (1 + cos(π/2)) / 2.
        var options = MachineHarness.Options(iterations: 4) with
        {
            Optimization = new PolicyOptimizationOptions { LearningRate = 1e-3, LrSchedule = LearningRateSchedule.Cosine, LrWarmupIterations = 2, LrMinRatio = 0.1 },
        };
        var h = new MachineHarness(options);
        h.DriveToEnd();
        var rates = h.Of<TrainGroups>().Select(t => (t.Iteration, t.LearningRate)).ToList();
        Assert.Equal([0, 1, 2, 3], rates.Select(r => r.Iteration));
        Assert.Equal([5e-4, 1e-3, 1e-3, 5.5e-4], rates.Select(r => r.LearningRate), (a, b) => Math.Abs(a - b) < 1e-12);
        // A constant schedule (the default of a journaled schema-1 run) trains every iteration at the configured rate.
        var constant = new MachineHarness(MachineHarness.Options(iterations: 3));
        constant.DriveToEnd();
        Assert.All(constant.Of<TrainGroups>(), t => Assert.Equal(new PolicyOptimizationOptions().LearningRate, t.LearningRate));
    }

    [Fact]
    public void Periodic_evaluations_use_the_validation_set_and_only_sft_and_final_use_the_test_set()
    {
        var h = new MachineHarness(MachineHarness.Options(iterations: 4) with { Eval = new EvalOptions { EveryIterations = 2 } });
        h.DriveToEnd();
        Assert.Equal(RunPhase.Completed, h.Machine.Phase);
        // Which set each evaluation decoded, in order, with the label it was recorded under.
        var evaluated = h.Of<Evaluate>().Select(e => e.Prompts.Single().Id).ToList();
        var recorded = h.Facts.OfType<HeldOutRecorded>().Select(r => (r.Label, r.Iteration)).ToList();
        Assert.Equal(["h0", "v0", "v0", "v0", "h0"], evaluated);
        Assert.Equal([(EvaluationLabel.Sft, 0), (EvaluationLabel.Periodic, 0), (EvaluationLabel.Periodic, 2), (EvaluationLabel.Periodic, 4),
            (EvaluationLabel.Final, 4)], recorded);
        // The iteration evaluated in between carries its validation accuracy; the finished run reports the test set's.
        Assert.Equal([1], h.Reports.OfType<IterationReported>().Where(r => r.Metrics.ValidationAccuracy is not null).Select(r => r.Metrics.Iteration));
        var finished = Assert.Single(h.Reports.OfType<RunFinished>());
        Assert.Same(h.Facts.OfType<HeldOutRecorded>().First().Evaluation, finished.Sft);
        Assert.Same(h.Facts.OfType<HeldOutRecorded>().Last().Evaluation, finished.Final);
    }

    [Fact]
    public void A_suite_without_a_validation_set_evaluates_its_test_set_as_schema_1_runs_did()
    {
        var options = MachineHarness.Options(iterations: 2) with { Eval = new EvalOptions { EveryIterations = 1 } };
        var h = new MachineHarness(options, validation: false);
        h.DriveToEnd();
        Assert.Equal(["h0", "h0", "h0"], h.Of<Evaluate>().Select(e => e.Prompts.Single().Id));
        Assert.Equal([EvaluationLabel.Sft, EvaluationLabel.Periodic, EvaluationLabel.Final], h.Facts.OfType<HeldOutRecorded>().Select(r => r.Label));
    }

    [Fact]
    public void Work_of_a_lost_generator_moves_to_the_others_under_the_same_request_and_counts_once()
    {
        var h = new MachineHarness(generators: 2);
        h.Drive(m => m.Machine.Phase == RunPhase.Iterating);
        var generates = h.Of<Generate>().Where(g => g.Slot.Index == 1).ToList();
        var lost = Assert.Single(generates);
        // Slot 1's batch is never answered: its worker is past its restart budget.
        h.Answer = c => c is Generate { Slot.Index: 1 } ? null : h.DefaultAnswer(c);
        h.Drive(m => m.Machine.Iteration?.Generating.Count == 1);
        h.Issued.Clear();
        var moved = Assert.IsType<Generate>(Assert.Single(h.Feed(new GeneratorUnavailable(new GeneratorSlot(1), "restart budget spent"))));
        Assert.Equal((lost.Request, 0), (moved.Request, moved.Slot.Index));
        Assert.Equal(lost.Requests, moved.Requests);

        // The answer of the generator that took the work over; a late one from the lost generator adds nothing.
        var answer = h.Generated(moved);
        var judged = h.Feed(answer);
        Assert.NotEmpty(judged.OfType<Judge>());
        Assert.Empty(h.Feed(answer));
        h.Answer = h.DefaultAnswer;
        foreach (var judge in judged.OfType<Judge>()) h.Feed(h.DefaultAnswer(judge)!);
        h.DriveToEnd();
        Assert.Equal(RunPhase.Completed, h.Machine.Phase);
        // Later weights go to the one generator left; every iteration still trained both groups.
        Assert.All(h.Issued.OfType<LoadWeights>(), l => Assert.Equal(0, l.Slot.Index));
        Assert.All(h.Facts.OfType<IterationCommitted>(), c => Assert.Equal(4, c.Trained.Sum(t => t.Trajectories.Count)));
    }

    [Fact]
    public void The_last_generator_lost_fails_the_run_and_detaches_its_workers()
    {
        var h = new MachineHarness(generators: 1);
        h.Drive(m => m.Machine.Phase == RunPhase.Iterating);
        h.Answer = _ => null;
        h.Issued.Clear();
        h.Feed(new GeneratorUnavailable(new GeneratorSlot(0), "restart budget spent"));
        Assert.Equal(RunPhase.Failed, h.Machine.Phase);
        Assert.Contains("every rollout generator is unavailable", Assert.Single(h.Reports.OfType<RunFailed>()).Reason);
        Assert.IsType<DetachWorkers>(h.Issued[^1]);
        Assert.DoesNotContain(h.Facts, f => f is IterationCommitted);
    }

    [Fact]
    public void Responses_cut_by_the_budget_wait_in_the_replay_buffer_and_are_resumed_first_next_iteration()
    {
        var h = new MachineHarness(MachineHarness.Options(iterations: 3, budget: 64));
        // p-group samples 1 are cut the first time they are generated; resumed, they finish.
        h.Decode = r => r.PriorTokens is null && r.Sample == 1 ? (2, StopReason.Budget) : (3, StopReason.Stop);
        h.Drive(m => m.Facts.OfType<IterationCommitted>().Any());
        var first = h.Facts.OfType<IterationCommitted>().Single();
        // No group was complete: nothing trained, no new weights, the buffer carries both groups with one cut response each.
        Assert.Empty(first.Trained);
        Assert.Equal(1L, first.WeightVersion);
        Assert.Equal(2, first.Replay.Groups.Count);
        Assert.All(first.Replay.Groups, g => Assert.Equal((1, 1), (g.Finished.Count, g.Unfinished.Count)));
        Assert.Equal(0.5, first.Metrics.CutFraction);
        Assert.Equal(2, first.Metrics.PendingResponses);

        h.Drive(m => m.Facts.OfType<IterationCommitted>().Count() == 2);
        int committed = h.Issued.FindIndex(c => c is Persist { Fact: IterationCommitted });
        var requests = h.Issued.Skip(committed).OfType<Generate>().TakeWhile(g => g.Requests.All(r => r.Iteration <= 1))
            .SelectMany(g => g.Requests).ToList();
        // Continuations first (their prefix and segments carried), then fresh prompts for the groups that left.
        var resumed = requests.Where(r => r.PriorTokens is not null).ToList();
        Assert.Equal(first.Replay.Groups.Select(g => g.Unfinished[0].Id).Order(), resumed.Select(r => r.Id).Order());
        Assert.All(resumed, r => Assert.Equal(2, r.PriorTokens!.Length));
        var second = h.Facts.OfType<IterationCommitted>().Last();
        Assert.Equal(2, second.Metrics.Resumed);
        Assert.Equal(first.Replay.Groups.Select(g => g.Key).Order(), second.Trained.Select(t => t.Group).Where(g => g.Iteration == 0).Order());
        Assert.All(second.Trained.Where(t => t.Group.Iteration == 0), t => Assert.Equal(2, t.Trajectories.Count));
    }

    [Fact]
    public void Pause_holds_at_the_next_boundary_and_resume_goes_on_from_there()
    {
        var h = new MachineHarness(MachineHarness.Options(iterations: 3));
        h.Drive(m => m.Machine.Phase == RunPhase.Iterating);
        h.Feed(new PauseRequested());
        h.Drive(m => m.Machine.Phase == RunPhase.Paused);
        Assert.Equal(1, h.Machine.Progress.CommittedIterations); // the iteration in flight committed first
        Assert.IsType<RunPaused>(h.Facts.Last());
        int issued = h.Issued.Count;
        h.Drive(_ => false); // nothing is pending while paused
        Assert.Equal(issued, h.Issued.Count);

        var resumed = h.Feed(new ResumeRequested());
        Assert.IsType<RunUnpaused>(Assert.IsType<Persist>(resumed[0]).Fact);
        Assert.Equal(2, resumed.OfType<Generate>().Count());
        Assert.All(resumed.OfType<Generate>().SelectMany(g => g.Requests), r => Assert.Equal(1, r.Iteration));
        h.DriveToEnd();
        Assert.Equal(RunPhase.Completed, h.Machine.Phase);
    }

    [Fact]
    public void Stop_finishes_at_the_next_boundary_with_the_final_evaluation()
    {
        var h = new MachineHarness(MachineHarness.Options(iterations: 10));
        h.Drive(m => m.Machine.Phase == RunPhase.Iterating);
        h.Feed(new StopRequested());
        h.DriveToEnd();
        Assert.Equal((RunPhase.Completed, 1), (h.Machine.Phase, h.Machine.Progress.CommittedIterations));
        Assert.Equal(1, Assert.Single(h.Reports.OfType<RunFinished>()).EndIteration);
        Assert.Equal(EvaluationLabel.Final, h.Facts.OfType<HeldOutRecorded>().Last().Label);
    }

    [Fact]
    public void New_options_take_effect_at_the_next_iteration_boundary()
    {
        var h = new MachineHarness(MachineHarness.Options(iterations: 2, tau: 1.0));
        h.Drive(m => m.Machine.Phase == RunPhase.Iterating);
        h.Feed(new OptionsChanged(MachineHarness.Options(iterations: 2, tau: 0.5)));
        h.DriveToEnd();
        Assert.Equal([1.0, 0.5], h.Of<TrainGroups>().Select(t => t.Optimization.Tau));
        Assert.Equal(0.5, h.Machine.Options.Optimization.Tau);
    }

    [Fact]
    public void A_changed_sampling_strategy_draws_by_the_new_rule_from_the_next_iteration_with_the_counts_it_had()
    {
        var h = new MachineHarness(MachineHarness.Options(iterations: 3));
        h.Drive(m => m.Machine.Phase == RunPhase.Iterating);
        // A curriculum without thresholds admits only the lowest difficulty (1: the even prompts).
        var curriculum = MachineHarness.Options(iterations: 3) with
        {
            Sampling = new SamplerOptions { Strategy = SamplingStrategy.Curriculum, Curriculum = CurriculumSchedule.ByIteration() },
        };
        h.Feed(new OptionsChanged(curriculum));
        h.Drive(m => m.Facts.OfType<IterationCommitted>().Count() == 1);
        var attempted = Enumerable.Range(0, h.Context.Sampler.Count).Where(i => h.Context.Sampler.Counts(i).Attempts > 0).ToList();
        Assert.NotEmpty(attempted);
        h.DriveToEnd();

        Assert.Equal(SamplingStrategy.Curriculum, h.Context.Sampler.Strategy);
        // The counts of iteration 0 survived the new sampler.
        Assert.All(attempted, i => Assert.True(h.Context.Sampler.Counts(i).Attempts > 0));
        var later = h.Of<Generate>().SelectMany(g => g.Requests).Where(r => r.Iteration >= 1).ToList();
        Assert.NotEmpty(later);
        Assert.All(later, r => Assert.Equal(1, h.Context.Prompt(r.Id.Prompt).Difficulty));
        // Each iteration's metrics say what was in force.
        var metrics = h.Facts.OfType<IterationCommitted>().Select(c => c.Metrics).ToList();
        Assert.Equal(["uniform", "curriculum", "curriculum"], metrics.Select(m => m.Hyperparameters!["sampling-strategy"]));
        Assert.Equal(["1", "1", "1"], metrics.Select(m => m.Hyperparameters!["tau"]));
        Assert.Equal([2, 1, 1], metrics.Select(m => m.MaxEligibleDifficulty));
    }

    [Fact]
    public void An_unchanged_sampling_configuration_bound_again_keeps_the_sampler()
    {
        var options = MachineHarness.Options(iterations: 2) with
        {
            Sampling = new SamplerOptions { Strategy = SamplingStrategy.Curriculum, Curriculum = CurriculumSchedule.ByIteration(new LevelThreshold(2, 1)) },
        };
        var h = new MachineHarness(options);
        var sampler = h.Context.Sampler;
        h.Drive(m => m.Machine.Phase == RunPhase.Iterating);
        // Equal but not the same objects, as a hyperparameter change binds them afresh.
        h.Feed(new OptionsChanged(options with
        {
            Optimization = options.Optimization with { Tau = 0.5 },
            Sampling = new SamplerOptions { Strategy = SamplingStrategy.Curriculum, Curriculum = CurriculumSchedule.ByIteration(new LevelThreshold(2, 1)) },
        }));
        h.DriveToEnd();
        Assert.Same(sampler, h.Context.Sampler);
    }

    [Fact]
    public void A_continued_run_rebuilds_its_index_restores_its_checkpoint_and_goes_on_from_its_last_commit()
    {
        var replay = new ReplaySnapshot([new OpenGroup(new GroupKey(new PromptId("p3"), 1), 2, [1, 4],
            [new JudgedTrajectory(new Trajectory(new TrajectoryId(new PromptId("p3"), 1, 0), [7, 7], [0, 0], StopReason.Stop, [new Segment(0, 2, 2)]), 1, true, "ok")],
            [new Trajectory(new TrajectoryId(new PromptId("p3"), 1, 1), [7], [0], StopReason.Budget, [new Segment(0, 1, 2)])])]);
        var progress = RunProgress.New.Apply(new TargetSet(4)).Apply(new SftFinished(1, new CheckpointRef("/ck/v1", "s1"), 2))
            .Apply(new IterationCommitted(0, 2, new CheckpointRef("/ck/v2", "s2"), new Kimi.Actors.Rl.Training.IterationMetrics(), ReplaySnapshot.Empty, []))
            .Apply(new IterationCommitted(1, 3, new CheckpointRef("/ck/v3", "s3"), new Kimi.Actors.Rl.Training.IterationMetrics(), replay, []));
        var h = new MachineHarness(MachineHarness.Options(iterations: 4, budget: 64), progress, generators: 1);
        Assert.Equal(2, Assert.Single(h.Of<LoadPromptCounts>()).UpToIteration);

        h.Answer = c => c is LoadPromptCounts
            ? new PromptCountsLoaded(new Dictionary<PromptId, Kimi.Actors.Rl.Sampling.PromptCounts> { [new PromptId("p0")] = new(8, 8), [new PromptId("gone")] = new(1, 0) })
            : h.DefaultAnswer(c);
        h.Drive(m => m.Machine.Phase == RunPhase.Iterating);
        var restore = Assert.Single(h.Of<RestoreCheckpoint>());
        Assert.Equal((3L, "/ck/v3", "s3"), (restore.Version, restore.Checkpoint.Directory, restore.Checkpoint.Sha256));
        Assert.DoesNotContain(h.Issued, c => c is InitPolicy or RunWarmupSft);
        Assert.Contains(h.Reports.OfType<RunWarning>(), w => w.Message.Contains("gone"));
        Assert.Equal((8L, 8L), h.Context.Sampler.Counts(0));
        var generate = Assert.Single(h.Of<Generate>());
        Assert.Equal(new TrajectoryId(new PromptId("p3"), 1, 1), generate.Requests[0].Id);
        Assert.Equal([7], generate.Requests[0].PriorTokens);
        Assert.Equal(2, generate.Requests.Count(r => r.Iteration == 2)); // one fresh group besides the open one
        Assert.DoesNotContain(generate.Requests, r => r.PromptId == new PromptId("p3") && r.Iteration == 2);
        h.DriveToEnd();
        Assert.Equal([2, 3], h.Facts.OfType<IterationCommitted>().Select(c => c.Iteration));
    }

    /// <summary>
    /// SFT (version 1) and three commits (versions 2..4, checkpoints /ck/v2../ck/v4) of a run aiming at 5 iterations,
    /// at curriculum levels <paramref name="levels"/> (none: 0).
    /// </summary>
    private static RunProgress ThreeCommitted(params int[] levels)
    {
        var progress = RunProgress.New.Apply(new TargetSet(5)).Apply(new SftFinished(1, new CheckpointRef("/ck/v1", "s1"), 2));
        for (int i = 0; i < 3; i++)
            progress = progress.Apply(new IterationCommitted(i, i + 2, new CheckpointRef($"/ck/v{i + 2}", $"s{i + 2}"),
                new Kimi.Actors.Rl.Training.IterationMetrics { MaxEligibleDifficulty = levels.Length > i ? levels[i] : 0 }, ReplaySnapshot.Empty, []));
        return progress;
    }

    [Fact]
    public void A_damaged_newest_checkpoint_falls_back_to_the_newest_intact_one_and_runs_the_later_iterations_again()
    {
        var h = new MachineHarness(MachineHarness.Options(iterations: 5), ThreeCommitted(), generators: 1);
        var damaged = new[] { "/ck/v4", "/ck/v3" };
        var counts = new List<int>();
        h.Answer = c => c switch
        {
            RestoreCheckpoint r when damaged.Contains(r.Checkpoint.Directory) => new CheckpointUnusable(r.Request, $"{r.Checkpoint.Directory}/model.safetensors: SHA-256 differs"),
            LoadPromptCounts l => new PromptCountsLoaded(l.UpToIteration == 3
                ? new Dictionary<PromptId, Kimi.Actors.Rl.Sampling.PromptCounts> { [new PromptId("p0")] = new(6, 6), [new PromptId("p1")] = new(4, 0) }
                : new Dictionary<PromptId, Kimi.Actors.Rl.Sampling.PromptCounts> { [new PromptId("p0")] = new(2, 2) }),
            _ => h.DefaultAnswer(c),
        };
        h.Drive(m => m.Machine.Phase == RunPhase.Iterating);

        // Newest first, each damaged one skipped, the older one republished above every version the run made durable.
        Assert.Equal([("/ck/v4", 4L), ("/ck/v3", 5L), ("/ck/v2", 5L)], h.Of<RestoreCheckpoint>().Select(r => (r.Checkpoint.Directory, r.Version)));
        var rolled = Assert.Single(h.Facts.OfType<RolledBack>());
        Assert.Equal((3, 1, 5L, "/ck/v2"), (rolled.FromIteration, rolled.ToIteration, rolled.WeightVersion, rolled.Checkpoint.Directory));
        Assert.Equal(2, rolled.Damaged.Count);
        Assert.Contains("iteration 3 (/ck/v4)", rolled.Damaged[0]);
        Assert.Contains("iteration 2 (/ck/v3)", rolled.Damaged[1]);
        var said = Assert.Single(h.Reports.OfType<RunRolledBack>());
        Assert.Contains("fell back to the checkpoint of iteration 1 (/ck/v2", said.Message);
        Assert.Contains("iterations 1..2 run again", said.Message);
        // The sampler is rebuilt from the events before the point it fell back to: p1's later counts are gone.
        Assert.Equal([3, 1], h.Of<LoadPromptCounts>().Select(l => l.UpToIteration));
        Assert.Equal(((2L, 2L), (0L, 0L)), (h.Context.Sampler.Counts(0), h.Context.Sampler.Counts(1)));
        // The generators load the republished version; the first iteration trains from it.
        Assert.Equal(5, Assert.Single(h.Of<LoadWeights>()).Weights.Version);
        Assert.Equal((1, 5L), (h.Machine.Progress.CommittedIterations, h.Machine.Progress.WeightVersion));

        h.DriveToEnd();
        Assert.Equal(RunPhase.Completed, h.Machine.Phase);
        Assert.Equal([1, 2, 3, 4], h.Facts.OfType<IterationCommitted>().Select(c => c.Iteration));
        Assert.Equal([5L, 6L, 7L, 8L], h.Of<TrainGroups>().Select(t => t.CurrentVersion));
        Assert.Equal(1, Assert.Single(h.Reports.OfType<RunFinished>()).StartIteration);
    }

    [Fact]
    public void A_fallback_takes_the_curriculum_back_to_the_level_of_the_point_it_restored()
    {
        // Commits of iterations 0..2 at levels 1, 1, 2; a success-rate curriculum that cannot advance by itself here.
        var progress = ThreeCommitted(1, 1, 2);
        var options = MachineHarness.Options(iterations: 5) with
        {
            Sampling = new Kimi.Actors.Rl.Sampling.SamplerOptions
            {
                Strategy = Kimi.Actors.Rl.Sampling.SamplingStrategy.Curriculum,
                Curriculum = Kimi.Actors.Rl.Sampling.CurriculumSchedule.BySuccessRate(1.0, 1_000_000),
            },
        };
        var h = new MachineHarness(options, progress, generators: 1);
        Assert.Equal(2, h.Context.Sampler.MaxEligibleDifficulty);
        h.Answer = c => c is RestoreCheckpoint { Checkpoint.Directory: "/ck/v4" } r ? new CheckpointUnusable(r.Request, "truncated") : h.DefaultAnswer(c);
        h.Drive(m => m.Machine.Phase == RunPhase.Iterating);

        Assert.Equal(2, h.Machine.Progress.CommittedIterations);
        // The point after iteration 1 stood at level 1: difficulty-2 prompts are not drawn again until the curriculum admits them.
        Assert.Equal(1, h.Context.Sampler.MaxEligibleDifficulty);
        var drawn = h.Of<Generate>().SelectMany(g => g.Requests).Select(r => h.Context.Prompt(r.PromptId).Difficulty).ToList();
        Assert.NotEmpty(drawn);
        Assert.All(drawn, d => Assert.Equal(1, d));
    }

    [Fact]
    public void A_fallback_recorded_in_the_facts_is_where_a_recovered_run_stands()
    {
        var progress = ThreeCommitted().Apply(new RolledBack(3, 1, 5, new CheckpointRef("/ck/v2", "s2"), ["v4 damaged", "v3 damaged"]));
        Assert.Equal((1, 5L, "/ck/v2", "s2"), (progress.CommittedIterations, progress.WeightVersion, progress.Checkpoint!.Directory, progress.Checkpoint.Sha256));
        Assert.Equal([0, 1], progress.Durable.Select(p => p.CommittedIterations));
        Assert.Equal(5, progress.HighestVersion);
        // The next commit after it goes on from the republished version; a second fallback would republish above it.
        var after = progress.Apply(new IterationCommitted(1, 6, new CheckpointRef("/ck/v6", "s6"), new Kimi.Actors.Rl.Training.IterationMetrics(), ReplaySnapshot.Empty, []));
        Assert.Equal([0, 1, 2], after.Durable.Select(p => p.CommittedIterations));
        Assert.Equal(6, after.HighestVersion);
        Assert.Throws<ArgumentException>(() => ThreeCommitted().Apply(new RolledBack(3, 1, 5, new CheckpointRef("/elsewhere", "x"), [])));
    }

    [Fact]
    public void With_every_kept_checkpoint_damaged_the_run_fails_naming_each_of_them()
    {
        var h = new MachineHarness(MachineHarness.Options(iterations: 5), ThreeCommitted(), generators: 1);
        h.Answer = c => c is RestoreCheckpoint r ? new CheckpointUnusable(r.Request, "missing") : h.DefaultAnswer(c);
        h.DriveToEnd();
        Assert.Equal(RunPhase.Failed, h.Machine.Phase);
        Assert.Equal(["/ck/v4", "/ck/v3", "/ck/v2", "/ck/v1"], h.Of<RestoreCheckpoint>().Select(r => r.Checkpoint.Directory));
        var reason = Assert.Single(h.Reports.OfType<RunFailed>()).Reason;
        Assert.Contains("/ck/v1", reason);
        Assert.Contains("no older durable checkpoint", reason);
        Assert.Empty(h.Facts.OfType<RolledBack>());
    }

    [Fact]
    public void A_refused_request_fails_the_run_with_the_workers_reason()
    {
        var h = new MachineHarness();
        h.Answer = c => c is RunWarmupSft s ? new WorkRejected(s.Request, "sft.pack-length = 1: expected >= 2") : h.DefaultAnswer(c);
        h.DriveToEnd();
        Assert.Equal(RunPhase.Failed, h.Machine.Phase);
        Assert.Contains("sft.pack-length", Assert.Single(h.Reports.OfType<RunFailed>()).Reason);
        Assert.Empty(h.Facts);
    }

    [Fact]
    public void Unanswered_judging_and_recording_are_sent_again_when_the_resend_timer_fires()
    {
        var h = new MachineHarness();
        h.Answer = c => c is Judge ? null : h.DefaultAnswer(c);
        h.Drive(m => m.Machine.Phase == RunPhase.Iterating && m.Machine.Iteration!.Generating.IsEmpty);
        var judges = h.Of<Judge>();
        Assert.NotEmpty(judges);
        var again = h.Feed(new ResendDue());
        Assert.Equal(judges.Select(j => j.Request), again.OfType<Judge>().Select(j => j.Request));
        Assert.Empty(again.OfType<Generate>());
    }

    [Fact]
    public void A_restarted_worker_is_reported_with_its_reason_and_counted()
    {
        var h = new MachineHarness();
        h.Drive(m => m.Machine.Phase == RunPhase.Iterating);
        var reported = h.Feed(new GeneratorAvailable(new GeneratorSlot(1), 2, "the worker process exited with code 137 (SIGKILL)"));
        var restart = Assert.IsType<WorkerRestarted>(Assert.IsType<Report>(Assert.Single(reported)).Progress);
        Assert.Equal(("rollout-1", 2), (restart.Worker, restart.Incarnation));
        Assert.Contains("SIGKILL", restart.Reason);
        Assert.Equal(1, h.Machine.WorkerRestarts);
    }

    private static Kimi.Actors.Rl.Training.SftStepStats MachineStep() => new(0, 1.5, 1e-3, 4, 1, 64, TimeSpan.FromMilliseconds(5));
}
