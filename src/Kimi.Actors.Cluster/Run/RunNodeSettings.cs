using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;

namespace Kimi.Actors.Cluster.Run;

/// <summary>
/// How this node runs the runs it hosts (not part of a run's own configuration, so not journaled with it): how many
/// rollout generators and judges a run uses, when unanswered requests are re-sent, and how long a session waits for the
/// workers it attached before it says so and attaches them again.
/// </summary>
public sealed record RunNodeSettings(int GeneratorSlots, int JudgeSlots, TimeSpan ResendAfter, TimeSpan AttachTimeout)
{
    public static RunNodeSettings FromConfig(Config config)
    {
        int slots = config.GetInt("kimi.cluster.rollout-slots", 1);
        int judges = config.GetInt("kimi.cluster.judge-slots", 1);
        if (slots < 1) throw new ConfigException($"kimi.cluster.rollout-slots = {slots}: expected an integer >= 1");
        if (judges < 1) throw new ConfigException($"kimi.cluster.judge-slots = {judges}: expected an integer >= 1");
        var resend = config.GetTimeSpan("kimi.cluster.resend-after", TimeSpan.FromSeconds(30));
        if (resend <= TimeSpan.Zero) throw new ConfigException($"kimi.cluster.resend-after = {resend}: expected a positive duration");
        var attach = config.GetTimeSpan("kimi.cluster.attach-timeout", TimeSpan.FromSeconds(60));
        if (attach <= TimeSpan.Zero) throw new ConfigException($"kimi.cluster.attach-timeout = {attach}: expected a positive duration");
        Sharding.PersistenceBackoff.FromConfig(config);
        return new RunNodeSettings(slots, judges, resend, attach);
    }
}
