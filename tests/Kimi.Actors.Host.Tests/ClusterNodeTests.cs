using System.Net;
using System.Net.Sockets;
using Kimi.Actors.Host.Output;
using Kimi.Actors.Host.Tests.Support;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// <c>kimi node</c> and <c>kimi train --cluster</c> as real processes on loopback: a node that starts its own cluster and
/// leaves it on a signal with 143 / 130, and a run submitted by a client to a two-node cluster (one node hosting the Run,
/// Prompt, judge and trainer, the other the rollout generator), followed to its end, with summary.json naming the nodes.
/// The journal is one SQLite file the two nodes of one machine share.
/// </summary>
public sealed class ClusterNodeTests : IDisposable
{
    private static readonly TimeSpan NodeUp = TimeSpan.FromSeconds(120);
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // Akka's own log says "Remoting started; listening on addresses" earlier: wait for the node's line.
    private static void WaitUp(KimiProcess node, int port, string what) =>
        node.WaitUntil(() => node.Stdout.Contains($"kimi node 127.0.0.1:{port}: listening on"), NodeUp, what);

    private KimiProcess Node(string roles, int port, int seed, params string[] extra) =>
        KimiProcess.Start(["node", "--roles", roles, "--port", port.ToString(), "--seed", $"127.0.0.1:{seed}", .. CliRunner.StorageIn(_tmp.Path), .. extra]);

    [Theory]
    [InlineData(15, 143)]
    [InlineData(2, 130)]
    public void A_node_that_seeds_itself_starts_a_cluster_and_leaves_it_on_a_signal(int signal, int exitCode)
    {
        int port = FreePort();
        using var node = Node("run,prompt", port, port);
        WaitUp(node, port, "the node's listening line");
        Assert.Contains($"kimi node 127.0.0.1:{port}: listening on akka.tcp://kimi@127.0.0.1:{port}, roles prompt, run; Up in a cluster of 1", node.Stdout);
        Assert.Contains($"kimi train --cluster 127.0.0.1:{port}", node.Stdout);

        node.Signal(signal);
        Assert.Equal(exitCode, node.WaitForExit(TimeSpan.FromSeconds(90)));
        Assert.Contains("leaving the cluster", node.Stderr);
        Assert.Contains($"kimi node 127.0.0.1:{port}: left the cluster", node.Stderr);
    }

    [Fact]
    public void A_run_submitted_with_train_cluster_trains_on_the_cluster_and_its_summary_names_the_nodes()
    {
        int seed = FreePort(), rollout = FreePort();
        // The nodes share the SQLite journal file of this machine (a cluster of machines shares a PostgreSQL database).
        using var first = Node("run,prompt,judge,trainer", seed, seed);
        WaitUp(first, seed, "the first node");
        using var second = Node("rollout", rollout, seed);
        WaitUp(second, rollout, "the rollout node");

        var (result, _) = CliRunner.RunWithin(TimeSpan.FromMinutes(10),
            "train", "--cluster", $"127.0.0.1:{seed}", "--out", _tmp.File("run"), "--config", TinyRun.WriteConfig(_tmp.Path));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"the cluster at 127.0.0.1:{seed}", result.Stderr);

        var summary = RunSummary.Read(_tmp.File("run/summary.json"));
        Assert.Equal(("cluster", 0, 2), (summary.Engine, summary.StartIteration, summary.Iterations));
        var nodes = Assert.IsType<RunSummary.ClusterNodes>(summary.Nodes);
        Assert.Equal([$"127.0.0.1:{seed}"], nodes.Roles["run"]);
        Assert.Equal([$"127.0.0.1:{seed}"], nodes.Roles["trainer"]);
        Assert.Equal([$"127.0.0.1:{rollout}"], nodes.Roles["rollout"]);
        Assert.Equal($"127.0.0.1:{rollout}", nodes.Workers["rollout-0"]);
        Assert.Contains($"127.0.0.1:{seed}", nodes.Roles["prompt"]);
        // The checkpoints the trainer's node wrote on this machine were copied into the run folder.
        Assert.True(File.Exists(_tmp.File("run/checkpoints/final/model.safetensors")));
        Assert.Equal(2, File.ReadAllLines(_tmp.File("run/metrics.jsonl")).Length);

        // Exactly once, from the journal the nodes wrote.
        var audit = CliRunner.Run(["runs", "audit", summary.RunId, "--json", .. CliRunner.StorageIn(_tmp.Path)]);
        Assert.True(audit.ExitCode == 0, audit.ToString());
        Assert.Contains("\"exactly_once\":true", audit.Stdout);
    }
}
