namespace Kimi.Actors.Cluster.Run;

/// <summary>A run was started with this configuration (the <c>kimi</c> tree without node sections, as HOCON text).</summary>
public sealed record RunStarted(string ConfigHocon, int TargetIterations, DateTime StartedAtUtc);

/// <summary>A continued run was given a new target.</summary>
public sealed record TargetExtended(int TargetIterations);

/// <summary>A hyperparameter changed; it applies from iteration <paramref name="FromIteration"/> on.</summary>
/// <param name="Value">The value as HOCON text (quoted where HOCON would misread it).</param>
/// <param name="AtUtc">When it was accepted; null in journals written before changes were timed.</param>
public sealed record HyperparameterChanged(string Key, string Value, int FromIteration, DateTime? AtUtc = null);
