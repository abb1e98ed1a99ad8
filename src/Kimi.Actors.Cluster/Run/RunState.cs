using System.Collections.Immutable;
using Akka.Configuration;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Rollouts;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Cluster.Run;

/// <summary>
/// What the Run entity knows durably, rebuilt from its events: the configuration (and hyperparameter changes), how far
/// the run has come (committed iterations, weight version, checkpoint), and the evaluations to report. Pure: events in,
/// new state out.
/// </summary>
public sealed record RunState(
    string RunId,
    string? ConfigHocon,
    ImmutableList<(string Key, string Value)> Overrides,
    int TargetIterations,
    bool SftDone,
    long WeightVersion,
    string? CheckpointDirectory,
    int CommittedIterations,
    int CurriculumLevel,
    HeldOutEvaluation? SftEvaluation,
    HeldOutEvaluation? LastEvaluation,
    double SftSeconds,
    bool Paused,
    bool Completed,
    ReplaySnapshot Replay)
{
    public static RunState Empty(string runId) =>
        new(runId, null, [], 0, false, 0, null, 0, 0, null, null, 0, false, false, ReplaySnapshot.Empty);

    public bool Started => ConfigHocon is not null;

    /// <summary>The run's configuration with every accepted hyperparameter change applied, in order.</summary>
    public Config EffectiveConfig()
    {
        var config = ConfigurationFactory.ParseString(ConfigHocon ?? "");
        foreach (var (key, value) in Overrides)
            config = ConfigurationFactory.ParseString($"{key} = {value}").WithFallback(config);
        return config;
    }

    public RunState Apply(IKimiEvent e) => e switch
    {
        RunStarted s => this with { ConfigHocon = s.ConfigHocon, TargetIterations = s.TargetIterations },
        TargetExtended t => this with { TargetIterations = t.TargetIterations, Completed = false },
        SftFinished f => this with { SftDone = true, WeightVersion = f.WeightVersion, CheckpointDirectory = f.CheckpointDirectory, SftSeconds = f.Seconds },
        HeldOutRecorded h when h.Label == "sft" => this with { SftEvaluation = h.Evaluation, LastEvaluation = h.Evaluation },
        HeldOutRecorded h => this with { LastEvaluation = h.Evaluation },
        IterationCommitted c => this with
        {
            CommittedIterations = c.Iteration + 1, WeightVersion = c.WeightVersion, CheckpointDirectory = c.CheckpointDirectory,
            CurriculumLevel = c.Metrics.MaxEligibleDifficulty, Replay = c.Replay ?? ReplaySnapshot.Empty,
        },
        HyperparameterChanged h => this with { Overrides = Overrides.Add((h.Key, h.Value)) },
        RunPaused => this with { Paused = true },
        RunUnpaused => this with { Paused = false },
        RunCompleted => this with { Completed = true },
        _ => this,
    };
}
