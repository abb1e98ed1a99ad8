using Kimi.Actors.Rl.Identity;

namespace Kimi.Actors.Cluster.Protocol;

/// <summary>
/// The one place that spells sharded entity ids and persistence ids (sharding and the journal need strings), so
/// routing, recovery and tests agree, and every id read back is parsed into its typed value.
/// </summary>
public static class EntityIds
{
    public const char Separator = '|';

    public static string Run(RunId run) => run.Value;
    public static string Prompt(RunId run, PromptId prompt) => $"{run}{Separator}{prompt}";
    public static string Generator(RunId run, GeneratorSlot slot) => $"{run}{Separator}{slot}";
    public static string Trainer(RunId run) => run.Value;
    public static string Judge(JudgeSlot slot) => slot.ToString();

    /// <summary>Tag on every Prompt event of a run: the Run rebuilds its sampler from these on recovery.</summary>
    public static string RunTag(RunId run) => $"run:{run}";

    /// <summary>Persistence id of a Run entity.</summary>
    public static string RunPersistenceId(RunId run) => $"run-{run}";

    /// <summary>The run a persistence id belongs to when it is a Run entity's (<see cref="RunPersistenceId"/>); null otherwise.</summary>
    public static RunId? ParseRunPersistenceId(string persistenceId) =>
        persistenceId.StartsWith("run-", StringComparison.Ordinal) && RunId.TryParse(persistenceId[4..], out var run, out _) ? (RunId?)run : null;

    /// <summary>Persistence id of a Prompt entity: stable across shard counts and nodes.</summary>
    public static string PromptPersistenceId(RunId run, PromptId prompt) => $"prompt-{Prompt(run, prompt)}";

    public static (RunId Run, PromptId Prompt) ParsePrompt(string entityId)
    {
        var (run, local) = Split(entityId);
        return (run, new PromptId(local));
    }

    public static (RunId Run, GeneratorSlot Slot) ParseGenerator(string entityId)
    {
        var (run, local) = Split(entityId);
        return (run, GeneratorSlot.Parse(local));
    }

    private static (RunId Run, string Local) Split(string entityId)
    {
        int i = entityId.IndexOf(Separator);
        if (i < 0) throw new ArgumentException($"entity id '{entityId}' has no '{Separator}'");
        return (RunId.Parse(entityId[..i]), entityId[(i + 1)..]);
    }
}
