using Akka.Configuration;

namespace Kimi.Actors.Cluster.Prompt;

/// <summary>The <c>kimi.prompt</c> keys (hocon/persistence.conf documents them).</summary>
/// <param name="SnapshotEvery">A snapshot after every N persisted groups.</param>
/// <param name="IdempotencyWindow">Iterations whose sample ids are remembered, counting back from the newest recorded.</param>
/// <param name="Shards">Shards of the Prompt entity type; the same on every node.</param>
public sealed record PromptSettings(int SnapshotEvery = 100, int IdempotencyWindow = 4, int Shards = 100)
{
    /// <summary>Reads <c>kimi.prompt.*</c>; a missing key keeps its default.</summary>
    /// <exception cref="ConfigurationException">A value is below 1; the message names the key.</exception>
    public static PromptSettings FromConfig(Akka.Configuration.Config config)
    {
        var defaults = new PromptSettings();
        return new PromptSettings(
            AtLeastOne(config, "kimi.prompt.snapshot-every", defaults.SnapshotEvery),
            AtLeastOne(config, "kimi.prompt.idempotency-window", defaults.IdempotencyWindow),
            AtLeastOne(config, "kimi.prompt.shards", defaults.Shards));
    }

    private static int AtLeastOne(Akka.Configuration.Config config, string key, int fallback)
    {
        int value = config.GetInt(key, fallback);
        return value >= 1 ? value : throw new ConfigurationException($"{key} = {value}: must be 1 or more");
    }
}
