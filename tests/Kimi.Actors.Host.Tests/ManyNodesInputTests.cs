using System.Net;
using System.Net.Sockets;
using Kimi.Actors.Host.Tests.Support;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// Bad input to the many-node commands (<c>kimi node</c>, <c>kimi train --cluster</c>, <c>kimi chaos</c>, and a one-node
/// run whose roles leave an entity type without a home): a clear one-line error and exit code 2 within a deadline, never
/// a hang. The ones that wait on the network are given a port nothing listens on.
/// </summary>
public sealed class ManyNodesInputTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public void An_unknown_role_names_the_allowed_ones()
    {
        CliAssert.UserError(CliRunner.Run("node", "--roles", "run,gpu", "--seed", "127.0.0.1:4053"),
            "--roles run,gpu", "unknown role 'gpu'", "roles: run, prompt, trainer, rollout, judge");
        CliAssert.UserError(CliRunner.Run("node", "--seed", "127.0.0.1:4053", "--set", "akka.cluster.roles=[run, trainers]"),
            "akka.cluster.roles = [run, trainers]", "unknown role 'trainers'", "roles: run, prompt, trainer, rollout, judge");
        CliAssert.UserError(CliRunner.Run("node", "--roles", "run"), "--seed HOST:PORT is required");
        CliAssert.UserError(CliRunner.Run("node", "--roles", "run", "--seed", "localhost"), "--seed 'localhost': expected HOST:PORT");
    }

    [Fact]
    public void A_node_whose_seed_cannot_be_reached_fails_within_30_s_naming_the_address()
    {
        int seed = FreePort();
        var (result, elapsed) = CliRunner.RunWithin(TimeSpan.FromSeconds(60),
            ["node", "--roles", "rollout", "--seed", $"127.0.0.1:{seed}", "--port", "0", .. CliRunner.StorageIn(_tmp.Path)]);
        CliAssert.UserError(result, $"akka.tcp://kimi@127.0.0.1:{seed}", "was not Up within");
        Assert.True(elapsed < TimeSpan.FromSeconds(30), $"took {elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public void Train_with_a_cluster_where_nothing_listens_fails_within_seconds_naming_it()
    {
        int port = FreePort();
        var (result, elapsed) = CliRunner.RunWithin(TimeSpan.FromSeconds(60),
            ["train", "--cluster", $"127.0.0.1:{port}", "--out", _tmp.File("run"), "--config", TinyRun.WriteConfig(_tmp.Path)]);
        CliAssert.UserError(result, "--cluster", $"127.0.0.1:{port}", "no cluster node answered");
        Assert.True(elapsed < TimeSpan.FromSeconds(20), $"took {elapsed.TotalSeconds:0.0} s");
        Assert.False(Directory.Exists(_tmp.File("run")));
    }

    [Fact]
    public void A_one_node_run_whose_roles_leave_an_entity_type_without_a_home_is_refused_at_once()
    {
        var (result, elapsed) = CliRunner.RunWithin(TimeSpan.FromSeconds(60),
            ["train", "--out", _tmp.File("run"), "--config", TinyRun.WriteConfig(_tmp.Path), .. CliRunner.StorageIn(_tmp.Path),
                "--set", "akka.cluster.roles=[nonsense]"]);
        CliAssert.UserError(result, "akka.cluster.roles = [nonsense]", "Run (run), Prompt (prompt), Trainer (trainer), RolloutGenerator (rollout), " +
            "RewardJudge (judge)", "unknown role nonsense", "roles: run, prompt, trainer, rollout, judge");
        Assert.True(elapsed < TimeSpan.FromSeconds(30), $"took {elapsed.TotalSeconds:0.0} s");
        Assert.False(Directory.Exists(_tmp.File("run")));
        // One role missing is named alone.
        CliAssert.UserError(CliRunner.Run(["train", "--out", _tmp.File("run"), "--config", TinyRun.WriteConfig(_tmp.Path),
            .. CliRunner.StorageIn(_tmp.Path), "--set", "akka.cluster.roles=[run, prompt, rollout, trainer]"]), "nothing would host RewardJudge (judge) (roles:");
    }

    [Fact]
    public void Cluster_and_chaos_arguments_that_cannot_apply_are_named()
    {
        var tiny = TinyRun.WriteConfig(_tmp.Path);
        CliAssert.UserError(CliRunner.Run("train", "--config", tiny, "--set", "kimi.console.connect-timeout=2s"),
            "kimi.console.connect-timeout=2s", "--cluster HOST:PORT");
        CliAssert.UserError(CliRunner.Run("train", "--config", tiny, "--cluster", "127.0.0.1:4053", "--set", "kimi.workers.threads=1"),
            "kimi.workers.threads configures the cluster's nodes");
        CliAssert.UserError(CliRunner.Run("train", "--config", tiny, "--cluster", "127.0.0.1:4053", "--device", "cpu"), "--device does not apply");
        CliAssert.UserError(CliRunner.Run("train", "--cluster", "127.0.0.1:99999"), "port '99999' is not a number in 1..65535");
        CliAssert.UserError(CliRunner.Run("chaos", "--scenario", "meteor", "--json", _tmp.File("c.json")),
            "unknown scenario (scenarios: ", "kill-run-node", "kill-rollout-node", "kill-trainer-node", "gpu-worker-faults", "restart-database",
            "partition", "scale-rollout", "three-node");
        CliAssert.UserError(CliRunner.Run("chaos", "--scenario", "kill-run-node", "--json", _tmp.File("c.json"), "--size", "huge"), "expected tiny or smoke");
    }
}
