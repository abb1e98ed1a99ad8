using System.Collections.Immutable;
using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Cluster.Run;

/// <summary>
/// What the Run entity knows durably, rebuilt from its events: the configuration and the hyperparameter changes
/// (with the iteration each applies from), and the run's <see cref="RunProgress"/>. Pure: events in, new state out.
/// </summary>
public sealed record RunState(RunId RunId, string? ConfigHocon, ImmutableList<HyperparameterChanged> Changes, RunProgress Progress,
    string? Unreadable)
{
    public static RunState Empty(RunId runId) => new(runId, null, [], RunProgress.New, null);

    /// <summary>The metrics of the last committed iteration (what a status shows); null before the first.</summary>
    public IterationMetrics? LastMetrics { get; init; }

    public DateTime? StartedAtUtc { get; init; }

    public bool Started => ConfigHocon is not null;

    /// <summary>The run's configuration with every accepted hyperparameter change applied, in order.</summary>
    public Config EffectiveConfig() => ConfigWith(Changes.Count);

    /// <summary>The run's configuration with the first <paramref name="changes"/> accepted changes applied, in order.</summary>
    public Config ConfigWith(int changes)
    {
        var config = RunOptionsBinder.Upgrade(ConfigurationFactory.ParseString(ConfigHocon ?? ""));
        foreach (var change in Changes.Take(changes))
            config = ConfigurationFactory.ParseString($"{change.Key} = {change.Value}").WithFallback(config);
        return config;
    }

    /// <summary>The state after a persisted event: the Run's own (start, target, change) or a fact of its machine.</summary>
    public RunState Apply(object e) => e switch
    {
        RunStarted s => this with
        {
            ConfigHocon = s.ConfigHocon, StartedAtUtc = s.StartedAtUtc, Progress = Progress.Apply(new TargetSet(s.TargetIterations)),
        },
        IterationCommitted c => this with { Progress = Progress.Apply(c), LastMetrics = c.Metrics },
        TargetExtended t => this with { Progress = Progress.Apply(new TargetSet(t.TargetIterations)) },
        HyperparameterChanged h => this with { Changes = Changes.Add(h) },
        IRunFact fact => this with { Progress = Progress.Apply(fact) },
        _ => throw new ArgumentException($"{e.GetType().Name} is not an event of the Run entity"),
    };
}
