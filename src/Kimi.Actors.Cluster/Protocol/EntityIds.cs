namespace Kimi.Actors.Cluster.Protocol;

/// <summary>The one place that spells sharded entity ids, so routing and tests agree.</summary>
public static class EntityIds
{
    public const char Separator = '|';

    public static string Prompt(string runId, string promptId) => $"{runId}{Separator}{promptId}";
    public static string Generator(string runId, int slot) => $"{runId}{Separator}rollout-{slot}";
    public static string Judge(int slot) => $"judge-{slot}";

    /// <summary>Tag on every Prompt event of a run: the Run rebuilds its sampler from these on recovery.</summary>
    public static string RunTag(string runId) => $"run:{runId}";

    public static (string RunId, string Local) Split(string entityId)
    {
        int i = entityId.IndexOf(Separator);
        if (i < 0) throw new ArgumentException($"entity id '{entityId}' has no '{Separator}'");
        return (entityId[..i], entityId[(i + 1)..]);
    }
}
