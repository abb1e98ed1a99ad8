using System.Text.Json.Nodes;
using Kimi.Actors.Cluster.Management;

namespace Kimi.Actors.Cluster.Tests.Management;

/// <summary>Readiness and liveness as functions of what the health actor saw.</summary>
public class NodeHealthTests
{
    private static readonly DateTime Now = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);

    private static HealthSnapshot Ready() => new("akka.tcp://kimi@10.0.0.5:4053", ["rollout", "run"], "Up", true, new ProbeResult(true, "reachable"), true,
        new Dictionary<string, ProbeResult> { ["run"] = new(true, "started (2 node(s) host it)"), ["rollout-generator"] = new(true, "started (2 node(s) host it)") },
        Now, false);

    private static string[] Reasons(HealthVerdict v) =>
        JsonNode.Parse(v.Json)!["reasons"]?.AsArray().Select(r => (string)r!).ToArray() ?? [];

    [Fact]
    public void A_node_that_is_up_with_its_journal_and_regions_is_ready()
    {
        var v = NodeHealth.Readiness(Ready());
        Assert.True(v.Ok);
        var body = JsonNode.Parse(v.Json)!;
        Assert.Equal("ready", (string)body["status"]!);
        Assert.Equal("Up", (string)body["member"]!);
        Assert.Equal("reachable", (string)body["persistence"]!);
        Assert.Equal("started (2 node(s) host it)", (string)body["entities"]!["rollout-generator"]!);
        Assert.Null(body["reasons"]);
    }

    [Theory]
    [InlineData(null, "has not joined a cluster yet")]
    [InlineData("Joining", "is Joining, not Up")]
    [InlineData("Leaving", "is Leaving, not Up")]
    [InlineData("Exiting", "is Exiting, not Up")]
    public void A_member_that_is_not_up_is_not_ready_and_says_so(string? member, string reason)
    {
        var v = NodeHealth.Readiness(Ready() with { Member = member });
        Assert.False(v.Ok);
        Assert.Equal([$"member akka.tcp://kimi@10.0.0.5:4053 {reason}"], Reasons(v));
    }

    [Fact]
    public void Each_failed_check_is_one_reason()
    {
        var s = Ready() with
        {
            Reachable = false,
            Persistence = new ProbeResult(false, "the journal did not answer within 5 s"),
            Regions = new Dictionary<string, ProbeResult> { ["run"] = new(false, "the shard coordinator did not answer within 5 s"), ["rollout-generator"] = new(true, "started") },
        };
        var v = NodeHealth.Readiness(s);
        Assert.False(v.Ok);
        Assert.Equal("not-ready", (string)JsonNode.Parse(v.Json)!["status"]!);
        Assert.Equal([
            "member akka.tcp://kimi@10.0.0.5:4053 is unreachable from the rest of the cluster",
            "persistence: the journal did not answer within 5 s",
            "entity type run: the shard coordinator did not answer within 5 s",
        ], Reasons(v));
    }

    [Fact]
    public void Entities_not_started_yet_keep_the_node_unready_even_when_up()
    {
        var v = NodeHealth.Readiness(Ready() with { EntitiesStarted = false, Regions = new Dictionary<string, ProbeResult>() });
        Assert.Equal(["entities for roles rollout,run are not started yet"], Reasons(v));
    }

    [Fact]
    public void A_slow_join_stays_live_but_a_downed_stuck_or_terminated_node_is_not()
    {
        var stale = TimeSpan.FromSeconds(10);
        Assert.True(NodeHealth.Liveness(Ready() with { Member = null }, Now, stale).Ok);
        Assert.True(NodeHealth.Liveness(Ready() with { Member = "Joining" }, Now + TimeSpan.FromSeconds(9), stale).Ok);
        foreach (var (s, reason) in new[]
        {
            (Ready() with { Member = "Down" }, "is Down: it will not rejoin without a restart"),
            (Ready() with { Member = "Removed" }, "is Removed"),
            (Ready() with { Terminated = true }, "the actor system has terminated"),
        })
        {
            var v = NodeHealth.Liveness(s, Now, stale);
            Assert.False(v.Ok);
            Assert.Contains(reason, (string)JsonNode.Parse(v.Json)!["reason"]!);
        }
        var silent = NodeHealth.Liveness(Ready(), Now + TimeSpan.FromSeconds(31), stale);
        Assert.False(silent.Ok);
        Assert.Contains("has not run for 31 s", silent.Json);
    }
}
