using Kimi.Actors.Model;
using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Rl.Tests.Runs;

/// <summary>
/// Drives a <see cref="RunMachine"/> without any actor, model or tensor: commands are answered by plain functions
/// (a default answer for each, overridable per test), replies go back in order, time is a counter. What the machine
/// says and does is then asserted command by command.
/// </summary>
internal sealed class MachineHarness
{
    public static readonly RunId Run = RunId.Parse("machine");
    // Commands waiting for an answer: answered when Drive reaches them, so a test may change Answer meanwhile.
    private readonly Queue<IRunCommand> _unanswered = new();
    private long _version;
    private int _checkpoints;

    public RunContext Context { get; }
    public RunMachine Machine { get; private set; }
    /// <summary>Every command the machine issued, in order.</summary>
    public List<IRunCommand> Issued { get; } = [];
    /// <summary>Every fact persisted, in order.</summary>
    public IEnumerable<IRunFact> Facts => Issued.OfType<Persist>().Select(p => p.Fact);
    public IEnumerable<IRunReport> Reports => Issued.OfType<Report>().Select(r => r.Progress);
    public TimeSpan Now { get; private set; }

    /// <summary>When each of <see cref="Issued"/> was issued (the machine's clock at the input that produced it).</summary>
    public List<TimeSpan> IssuedAt { get; } = [];

    /// <summary>Answers to requests; a test replaces one to withhold, delay or falsify a reply (null: no reply).</summary>
    public Func<IRunCommand, IRunInput?> Answer { get; set; }

    /// <summary>How a generated response ends: by default every response finishes with 3 tokens.</summary>
    public Func<RolloutRequest, (int NewTokens, StopReason Stop)> Decode { get; set; } = _ => (3, StopReason.Stop);

    /// <param name="validation">Whether the suite has a validation set of its own (one prompt, "v0"); the test set is "h0".</param>
    /// <param name="train">Training prompts instead of <paramref name="prompts"/> generated text ones; <paramref name="images"/> lays out their images.</param>
    public MachineHarness(RunOptions? options = null, RunProgress? progress = null, int generators = 2, int judges = 1, int prompts = 10,
        bool validation = true, IReadOnlyList<PromptRecord>? train = null, Kimi.Actors.Model.Vision.ImageLayout? images = null)
    {
        options ??= Options();
        train ??= Enumerable.Range(0, prompts).Select(i => new PromptRecord($"p{i}", $"{i}+1=", $"{i + 1}", "arithmetic", 1 + i % 2, [])).ToList();
        List<PromptRecord> validationSet = validation ? [new("v0", "4+4=", "8", "arithmetic", 1, [])] : [];
        var test = new List<PromptRecord> { new("h0", "5+5=", "10", "arithmetic", 1, []) };
        Context = new RunContext(Run, TaskSuite.Of(train, validationSet, test, []), CharTokenizer.Instance, options.Sampling, images);
        Answer = DefaultAnswer;
        var start = RunMachine.Start(Context, Run, options, progress ?? RunProgress.New.Apply(new TargetSet(options.Iterations)), generators, judges,
            session: 42);
        Machine = start.State;
        Take(start.Commands);
        if (progress is { } p) _version = p.WeightVersion;
    }

    public static RunOptions Options(int iterations = 2, long? budget = null, double tau = 1.0) => new()
    {
        RunId = Run.Value, Iterations = iterations,
        Model = CharTokenizer.Instance.Apply(new ModelConfig()),
        Rollout = new RolloutOptions { PromptsPerIteration = 2, SamplesPerPrompt = 2, MaxResponseTokens = 16, TokenBudget = budget },
        Optimization = new PolicyOptimizationOptions { Tau = tau },
    };

    /// <summary>Feeds one input (as if it arrived <paramref name="seconds"/> after the last); its commands are answered later by <see cref="Drive"/>.</summary>
    public IReadOnlyList<IRunCommand> Feed(IRunInput input, double seconds = 0.5)
    {
        Now += TimeSpan.FromSeconds(seconds);
        var decision = Machine.Next(Context, input, Now);
        Machine = decision.State;
        Take(decision.Commands);
        return decision.Commands;
    }

    /// <summary>Answers issued commands one by one, in order, until <paramref name="done"/> holds (or nothing is left to answer).</summary>
    public void Drive(Func<MachineHarness, bool> done, int limit = 10_000)
    {
        while (!done(this) && limit-- > 0 && _unanswered.TryDequeue(out var command))
            if (Answer(command) is { } reply) Feed(reply);
        if (limit <= 0) throw new InvalidOperationException("the machine did not settle");
    }

    public void DriveToEnd() => Drive(h => h.Machine.IsOver);

    private void Take(IReadOnlyList<IRunCommand> commands)
    {
        Issued.AddRange(commands);
        IssuedAt.AddRange(commands.Select(_ => Now));
        foreach (var c in commands) _unanswered.Enqueue(c);
    }

    /// <summary>What a healthy cluster answers.</summary>
    public IRunInput? DefaultAnswer(IRunCommand command) => command switch
    {
        AttachTrainer => new TrainerAvailable(1),
        AttachGenerator g => new GeneratorAvailable(g.Slot, 1),
        LoadPromptCounts => new PromptCountsLoaded(new Dictionary<PromptId, Kimi.Actors.Rl.Sampling.PromptCounts>()),
        InitPolicy m => new PolicyReady(m.Request, 0, 1000, "cpu"),
        RunWarmupSft m => new SftDone(m.Request, Published(++_version), 1.0),
        RestoreCheckpoint m => new PolicyRestored(m.Request, Published(m.Version), 1000, "cpu"),
        LoadWeights m => new PolicyReady(m.Request, m.Weights.Version, 1000, "cpu"),
        SaveCheckpoint m => new CheckpointSaved(m.Request, m.Version, new CheckpointRef($"/ck/v{m.Version}", $"sha{++_checkpoints}")),
        Generate m => Generated(m),
        Judge m => new TrajectoriesJudged(m.Request, m.Items.Select(i => new JudgedTrajectory(i.Trajectory, i.Trajectory.Sample % 2 == 0 ? 1 : 0,
            i.Trajectory.Sample % 2 == 0, "test")).ToList(), 0.01),
        RecordGroup m => new GroupRecorded(m.Group, m.Samples.Count, m.Samples.Count(s => s.Correct)),
        // As the trainer does: the version after the one it trained from.
        TrainGroups m => new IterationTrained(m.Request, Stats, Published(_version = m.CurrentVersion + 1),
            m.Groups.Select(g => new TrainedGroup(g.Group, g.Samples.Select(s => s.Trajectory.Id).ToList())).ToList(), TrainReplySeconds),
        Evaluate m => new HeldOutEvaluated(m.Request, Evaluation(0.5), 0.1),
        _ => null,
    };

    public BatchGenerated Generated(Generate m)
    {
        var trajectories = m.Requests.Select(r =>
        {
            var (n, stop) = Decode(r);
            int[] prior = r.PriorTokens ?? [];
            var segments = (r.PriorSegments ?? []).Append(new Segment(prior.Length, n, _version)).ToList();
            return new Trajectory(r.Id, [.. prior, .. Enumerable.Repeat(7, n)], new float[prior.Length + n], stop, segments);
        }).ToList();
        return new BatchGenerated(m.Request, trajectories, trajectories.Sum(t => (long)t.Segments[^1].Length), 0.1);
    }

    public WeightsPublished Published(long version) => new(Run, version, $"mem://machine/{version}", new string('a', 64), 100);

    /// <summary>The trainer's reply time: its optimizer's 0.2 s (<see cref="Stats"/>) and 0.3 s publishing the new version.</summary>
    public const double TrainReplySeconds = 0.5;

    public static readonly TrainStepStats Stats = new(0.1, 0.01, 0.02, 1.0, 0, 0.001, 24, 4, 3e-5, TimeSpan.FromSeconds(0.2));

    public static HeldOutEvaluation Evaluation(double accuracy)
    {
        var slice = new SliceAccuracy(10, (int)(accuracy * 10));
        var report = new EvaluationReport("greedy", 10, slice, new Dictionary<int, SliceAccuracy> { [1] = slice },
            new Dictionary<string, SliceAccuracy> { ["arithmetic"] = slice }, 3, TimeSpan.FromSeconds(0.1));
        return new HeldOutEvaluation(report, report with { Mode = "pass@1" }, PrimaryMetric.Sampled);
    }

    public IReadOnlyList<T> Of<T>() => Issued.OfType<T>().ToList();
}
