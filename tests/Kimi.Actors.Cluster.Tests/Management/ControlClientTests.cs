using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Management.Control;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Tests.Run;
using Kimi.Actors.Cluster.Tests.Support;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using static Kimi.Actors.Cluster.Management.Control.ControlProtocol;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Cluster.Tests.Management;

/// <summary>
/// The control plane against a real one-node cluster over loopback TCP: a client ActorSystem that never joins reaches the
/// node's run gateway through the cluster client receptionist, submits and follows a run, lists runs and members, and
/// fails within its deadline, naming the contact point, when nothing listens there.
/// </summary>
[Collection("run entity")]
public class ControlClientTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    internal static ContactPoint ContactOf(RunNode node) =>
        new("127.0.0.1", Akka.Cluster.Cluster.Get(node.System).SelfAddress.Port!.Value);

    internal static ControlClientSettings Settings(params ContactPoint[] contacts) =>
        ControlClientSettings.FromConfig(ConfigurationFactory.ParseString(KimiConfigLoader.ReadEmbedded("hocon/console.conf")), contacts);

    [Fact]
    public async Task A_client_outside_the_cluster_submits_follows_and_lists_a_run_through_the_gateway()
    {
        using var db = new TempDatabase();
        await using var node = await RunNode.StartAsync(db);
        await using var client = await ControlClient.ConnectAsync(Settings(ContactOf(node)));
        // The client is no member: the cluster still has exactly the node.
        Assert.Single(Akka.Cluster.Cluster.Get(node.System).State.Members);
        Assert.Equal(Akka.Cluster.Cluster.Get(node.System).SelfAddress.ToString(), client.Answered.Node);
        Assert.Contains("run", client.Answered.Roles);

        var empty = Assert.IsType<RunList>(await client.AskAsync(new ListRuns(), "the run list"));
        Assert.Empty(empty.Runs);

        var runId = RunId.Parse("run-" + Guid.NewGuid().ToString("N")[..10]);
        var (recorder, seen, done) = ProgressRecorders.Start(client.System);
        var watch = client.Watch(runId, recorder);
        var accepted = Assert.IsType<RunAccepted>(await client.AskAsync(new StartRun(runId, RunNode.RunConfig(iterations: 2)), "start"));
        Assert.Equal((0, 2), (accepted.StartIteration, accepted.TargetIterations));

        var finished = Assert.IsType<RunFinished>(await done.Task.WaitAsync(RunTimeout));
        Assert.Equal(2, finished.EndIteration);
        List<object> log;
        lock (seen) log = [.. seen];
        // Progress came through the relay in order, as a member subscriber sees it.
        Assert.Equal([0, 1], log.OfType<IterationReported>().Select(i => i.Metrics.Iteration));
        Assert.True(log.FindIndex(m => m is EvaluationReported { Label: EvaluationLabel.Sft }) < log.FindIndex(m => m is IterationReported));
        client.System.Stop(watch);

        var listed = Assert.IsType<RunList>(await client.AskAsync(new ListRuns(), "the run list"));
        var status = Assert.Single(listed.Runs);
        Assert.Equal((runId, RunStatusKind.Completed, 2, 3L), (status.RunId, status.State, status.Iteration, status.WeightVersion));

        var view = Assert.IsType<ClusterView>(await client.AskAsync(new GetClusterView(), "the cluster view"));
        var member = Assert.Single(view.Nodes);
        Assert.Equal(("up", true), (member.Status, member.Reachable));
        Assert.Equal(["judge", "prompt", "rollout", "run", "trainer"], member.Roles);
        Assert.Equal(1, member.Entities["run"]);
        // Every training prompt drawn has its own Prompt entity.
        Assert.True(member.Entities["prompt"] >= 4, $"prompt entities: {member.Entities["prompt"]}");
    }

    [Fact]
    public async Task A_client_whose_contact_point_is_down_fails_within_its_deadline_naming_it()
    {
        int port = FreePort();
        var settings = Settings(new ContactPoint("127.0.0.1", port)) with { ConnectTimeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<ControlUnreachableException>(() => ControlClient.ConnectAsync(settings));
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 10);
        Assert.Contains($"127.0.0.1:{port}", e.Message);
        Assert.Contains("within 2 s", e.Message);
    }

    [Fact]
    public void Contact_points_are_host_and_port()
    {
        Assert.Equal(new ContactPoint("10.0.0.1", 4053), ContactPoint.Parse("10.0.0.1:4053"));
        Assert.Equal(new ContactPoint("::1", 4053), ContactPoint.Parse("[::1]:4053"));
        Assert.Equal("akka.tcp://kimi@node-a:4053/system/receptionist", ContactPoint.Parse("node-a:4053").ReceptionistPath().ToString());
        Assert.Contains("expected HOST:PORT", Assert.Throws<FormatException>(() => ContactPoint.Parse("localhost")).Message);
        Assert.Contains("1..65535", Assert.Throws<FormatException>(() => ContactPoint.Parse("localhost:0")).Message);
        Assert.Contains("1..65535", Assert.Throws<FormatException>(() => ContactPoint.Parse("localhost:http")).Message);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
