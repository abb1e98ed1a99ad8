using Akka.Configuration;

namespace Kimi.Actors.Cluster.Run;

/// <summary>
/// How this node runs the runs it hosts (not part of a run's own configuration, so not journaled with it): how many
/// rollout generators and judges a run uses, where committed checkpoints go, when unanswered requests are re-sent.
/// </summary>
public sealed record RunNodeSettings(int GeneratorSlots, int JudgeSlots, string CheckpointDirectory, int KeepCheckpoints,
    TimeSpan ResendAfter, string DeviceDescription)
{
    public static RunNodeSettings FromConfig(Config config)
    {
        int slots = config.GetInt("kimi.cluster.rollout-slots", 1);
        int judges = config.GetInt("kimi.cluster.judge-slots", 1);
        if (slots < 1) throw new Configuration.ConfigException($"kimi.cluster.rollout-slots = {slots}: expected an integer >= 1");
        if (judges < 1) throw new Configuration.ConfigException($"kimi.cluster.judge-slots = {judges}: expected an integer >= 1");
        int keep = config.GetInt("kimi.persistence.keep-checkpoints", 3);
        if (keep < 1) throw new Configuration.ConfigException($"kimi.persistence.keep-checkpoints = {keep}: expected an integer >= 1");
        var resend = config.GetTimeSpan("kimi.cluster.resend-after", TimeSpan.FromSeconds(30));
        var devices = config.HasPath("kimi.workers.devices") ? string.Join(",", config.GetStringList("kimi.workers.devices")) : "cpu";
        return new RunNodeSettings(slots, judges, config.GetString("kimi.persistence.checkpoint-dir", "./data/checkpoints"), keep, resend, devices);
    }
}
