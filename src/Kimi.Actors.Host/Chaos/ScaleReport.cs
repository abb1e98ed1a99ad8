using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kimi.Actors.Host.Chaos;

/// <summary>
/// What the scale scenario saw while the run went on: where the generators were before the join, after it and after the
/// leave, and the committed iteration counts at the two moves (an iteration with index &gt;= <see cref="JoinFrom"/> ran
/// with the joined node's generators; one &gt;= <see cref="LeaveFrom"/> after the leave began), the machine's highest
/// 1-minute load average at the join and at the leave, and the CPUs other processes used from the first measured
/// iteration to the leave (<see cref="CpuSample.ForeignCpus"/>; null where /proc cannot tell).
/// </summary>
public sealed record ScaleMarks(string Joined, string Left, IReadOnlyDictionary<string, string> Before, int JoinFrom,
    IReadOnlyDictionary<string, string> AfterJoin, int LeaveFrom, int LeaveExit, IReadOnlyDictionary<string, string> AfterLeave,
    double LoadAverage, double? ForeignCpus)
{
    /// <summary>The 1-minute load average (/proc/loadavg); NaN where there is none.</summary>
    public static double ReadLoadAverage()
    {
        try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return double.NaN; }
    }

    /// <summary>The report, with each committed iteration's rollout tokens/s read from the run's metrics.jsonl.</summary>
    public ScaleReport Measure(string metricsFile)
    {
        var rows = File.Exists(metricsFile)
            ? File.ReadLines(metricsFile).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).Select(r => new ScaleIteration
            {
                Iteration = r.GetProperty("iteration").GetInt32(),
                RolloutTokensPerSecond = Math.Round(r.GetProperty("rollout_tokens_per_s").GetDouble(), 1),
                GenerationSeconds = Math.Round(r.GetProperty("generation_seconds").GetDouble(), 3),
            }).Select(i => i with { Stage = StageOf(i.Iteration) }).ToList()
            : [];
        double? Median(string stage) => rows.Where(r => r.Stage == stage).Select(r => r.RolloutTokensPerSecond).Order().ToList() is { Count: > 0 } v
            ? v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2 : null;
        double? before = Median(ScaleIteration.Before), after = Median(ScaleIteration.After);
        return new ScaleReport
        {
            Joined = Joined, Left = Left, GeneratorsBefore = Count(Before), GeneratorsAfterJoin = Count(AfterJoin), GeneratorsAfterLeave = Count(AfterLeave),
            JoinIteration = JoinFrom, LeaveIteration = LeaveFrom, LeaveExitCode = LeaveExit, Iterations = rows,
            BeforeTokensPerSecond = before, AfterTokensPerSecond = after, AfterLeaveTokensPerSecond = Median(ScaleIteration.AfterLeave),
            Ratio = before is > 0 && after is { } a ? Math.Round(a / before.Value, 3) : null,
            LoadAverage = LoadAverage, ForeignCpus = ForeignCpus is { } f ? Math.Round(f, 3) : null, Cpus = Environment.ProcessorCount,
        };
    }

    /// <summary>
    /// Iteration 0 (the generators' first decoding: warm-up) and the first iteration after a move (the moved generator's
    /// new worker warms up) are not measured; everything else belongs to the placement it ran with.
    /// </summary>
    private string StageOf(int iteration) =>
        iteration == 0 || iteration == JoinFrom || iteration == LeaveFrom ? ScaleIteration.WarmUp
        : iteration < JoinFrom ? ScaleIteration.Before
        : iteration < LeaveFrom ? ScaleIteration.After
        : ScaleIteration.AfterLeave;

    private static IReadOnlyDictionary<string, int> Count(IReadOnlyDictionary<string, string> generators) =>
        generators.GroupBy(g => g.Value).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());
}

/// <summary>One committed iteration of the scale scenario: its rollout throughput and which placement it ran with.</summary>
public sealed record ScaleIteration
{
    public const string WarmUp = "warm-up", Before = "before-join", After = "after-join", AfterLeave = "after-leave";

    [JsonPropertyName("iteration")] public int Iteration { get; init; }
    [JsonPropertyName("stage")] public string Stage { get; init; } = "";
    [JsonPropertyName("rollout_tokens_per_s")] public double RolloutTokensPerSecond { get; init; }
    [JsonPropertyName("generation_seconds")] public double GenerationSeconds { get; init; }
}

/// <summary>The scale scenario's part of <c>kimi chaos --json</c>: generator placement per stage and rollout tokens/s.</summary>
public sealed record ScaleReport
{
    [JsonPropertyName("joined")] public required string Joined { get; init; }
    [JsonPropertyName("left")] public required string Left { get; init; }
    /// <summary>Generators per node (as the Run saw them attach) before the join, after it, and after the leave.</summary>
    [JsonPropertyName("generators_before")] public IReadOnlyDictionary<string, int> GeneratorsBefore { get; init; } = new Dictionary<string, int>();
    [JsonPropertyName("generators_after_join")] public IReadOnlyDictionary<string, int> GeneratorsAfterJoin { get; init; } = new Dictionary<string, int>();
    [JsonPropertyName("generators_after_leave")] public IReadOnlyDictionary<string, int> GeneratorsAfterLeave { get; init; } = new Dictionary<string, int>();
    /// <summary>The first iteration that ran with the joined node's generators, and the one in flight when the leave began.</summary>
    [JsonPropertyName("join_iteration")] public int JoinIteration { get; init; }
    [JsonPropertyName("leave_iteration")] public int LeaveIteration { get; init; }
    /// <summary>143: the leaving node ran its coordinated shutdown on SIGTERM and exited by itself.</summary>
    [JsonPropertyName("leave_exit_code")] public int LeaveExitCode { get; init; }
    [JsonPropertyName("iterations")] public IReadOnlyList<ScaleIteration> Iterations { get; init; } = [];
    /// <summary>Medians of rollout tokens/s over the iterations of each stage (warm-up ones left out).</summary>
    [JsonPropertyName("before_tokens_per_s")] public double? BeforeTokensPerSecond { get; init; }
    [JsonPropertyName("after_tokens_per_s")] public double? AfterTokensPerSecond { get; init; }
    [JsonPropertyName("after_leave_tokens_per_s")] public double? AfterLeaveTokensPerSecond { get; init; }
    /// <summary>after / before.</summary>
    [JsonPropertyName("ratio")] public double? Ratio { get; init; }
    /// <summary>The machine's highest 1-minute load average at the join and at the leave, and its CPUs.</summary>
    [JsonPropertyName("load_average")] public double LoadAverage { get; init; }
    /// <summary>CPUs' worth of time processes outside the scenario used while it was measured (null: unknown).</summary>
    [JsonPropertyName("foreign_cpus")] public double? ForeignCpus { get; init; }
    [JsonPropertyName("cpus")] public int Cpus { get; init; }

    /// <summary>The rise a passing run must show where it can be measured.</summary>
    public const double RequiredRatio = 1.1;

    /// <summary>
    /// Whether the machine had CPU to spare, so the CPU the joined node brings is capacity: other processes used at most a
    /// quarter of the machine while the iterations were measured (half a CPU on two). The load average cannot say this:
    /// the scenario's own nodes and workers keep it at 20-28 on two CPUs by themselves.
    /// </summary>
    [JsonPropertyName("throughput_measurable")] public bool ThroughputMeasurable => ForeignCpus is { } f && f <= 0.25 * Cpus;

    /// <summary>
    /// A generator moved onto the joined node, none stayed on the one that left (which left by itself), and, where the
    /// machine had CPU to spare, throughput rose by <see cref="RequiredRatio"/>.
    /// </summary>
    [JsonIgnore]
    public bool Passed => GeneratorsAfterJoin.GetValueOrDefault(Joined) >= 1 && !GeneratorsAfterLeave.ContainsKey(Left) && LeaveExitCode == 143
        && Iterations.Count(i => i.Stage == ScaleIteration.Before) >= 2 && Iterations.Count(i => i.Stage == ScaleIteration.After) >= 2
        && (!ThroughputMeasurable || Ratio >= RequiredRatio);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"generators before {Describe(GeneratorsBefore)}, after {Joined} joined {Describe(GeneratorsAfterJoin)} (from iteration {JoinIteration}), " +
        $"after {Left} left {Describe(GeneratorsAfterLeave)} (from {LeaveIteration}, exit {LeaveExitCode}); rollout tokens/s (median) " +
        $"{BeforeTokensPerSecond:0} -> {AfterTokensPerSecond:0} (x{Ratio:0.00}), after the leave {AfterLeaveTokensPerSecond:0}; load average " +
        $"{LoadAverage:0.0} on {Cpus} CPUs, other processes {ForeignCpus:0.00} CPUs{(ThroughputMeasurable ? "" : ": too busy for the rise to be measured")}");

    private static string Describe(IReadOnlyDictionary<string, int> counts) => string.Join(" ", counts.Select(c => $"{c.Key}:{c.Value}"));
}
