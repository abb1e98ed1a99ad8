using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Akka.Actor;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Management;
using Kimi.Actors.Cluster.Management.Control;
using Kimi.Actors.Cluster.Judge;
using Kimi.Actors.Cluster.Node;
using Kimi.Actors.CommandLine;

namespace Kimi.Actors.Host.Commands;

/// <summary>
/// <c>kimi node</c>: one long-running member of a cluster. It joins its seeds (a node whose seed is its own address
/// starts the cluster), hosts the entity types of its roles and routes to the others, serves the run gateway that
/// <c>kimi train --cluster</c> and <c>kimi-console</c> reach through a cluster client, and runs until SIGINT or SIGTERM:
/// then it leaves the cluster in order (its shards hand off to the other members) and exits 130 or 143. A node the
/// cluster removes (downed by the split-brain resolver) exits 1.
/// </summary>
public static class NodeCommand
{
    /// <summary>The node's layers: like <see cref="TrainCommand.NodeLayers"/>, with the cluster member's file instead of the one-node file.</summary>
    public static readonly string[] NodeLayers =
        TrainCommand.NodeLayers.Select(l => l == "hocon/local-node.conf" ? "hocon/cluster-node.conf" : l).ToArray();

    /// <summary>How long leaving the cluster (coordinated shutdown: leave, hand off shards, stop) may take before the process exits anyway.</summary>
    private static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(60);

    /// <param name="Roles">The <c>--roles</c> text (comma-separated); null: <c>akka.cluster.roles</c> of the configuration.</param>
    public sealed record Arguments(string? Roles, IReadOnlyList<string> Seeds, int? Port, IReadOnlyList<string> ConfigFiles,
        IReadOnlyList<string> Settings);

    public static Command Create()
    {
        var roles = CliOptions.Text("--roles", "ROLES",
            $"comma-separated roles this node hosts ({NodeRoles.AllowedText}; default: akka.cluster.roles, all of them)",
            text => Problem(() => NodeRoles.Parse(text)));
        var seed = CliOptions.Repeated("--seed", "HOST:PORT",
            "a seed node's remoting address (repeatable); a node whose seed is its own address starts the cluster; required " +
            "unless kimi.cluster.bootstrap = discovery (hocon/kubernetes.conf)");
        var port = CliOptions.Int("--port", "P", "this node's remoting port (akka.remote.dot-netty.tcp.port, default 4053; 0: any free port)", min: 0);
        var config = CliOptions.Repeated("--config", "FILE", "a HOCON file layered over the node's defaults (repeatable, later wins)");
        var set = CliOptions.Repeated("--set", "key=value", "one setting over everything else (repeatable), e.g. --set kimi.cluster.rollout-slots=2");
        var command = new Command("node",
            "a long-running cluster member hosting the entities of its roles; leaves the cluster in order on SIGINT/SIGTERM")
        {
            roles, seed, port, config, set,
        };
        command.SetAction(r => Run(new Arguments(r.GetValue(roles), r.GetValue(seed)!, r.GetValue(port), r.GetValue(config)!, r.GetValue(set)!),
            r.InvocationConfiguration.Output, r.InvocationConfiguration.Error));
        return command;
    }

    private static string? Problem(Action check)
    {
        try { check(); return null; }
        catch (ArgumentException e) { return e.Message; }
    }

    public static int Run(Arguments args, TextWriter stdout, TextWriter stderr)
    {
        var seeds = args.Seeds.Select(s => ContactPoint.TryParse(s, out var c, out var problem)
            ? KimiNode.AddressOf(c.Host, c.Port) : throw new UsageException($"node: --seed {problem}")).Distinct().ToList();
        var overrides = args.Settings.ToList();
        if (args.Port is { } p) overrides.Add($"akka.remote.dot-netty.tcp.port={p.ToString(CultureInfo.InvariantCulture)}");
        if (args.Roles is { } roles) overrides.Add($"akka.cluster.roles=[{string.Join(", ", NodeRoles.Parse(roles).Select(r => JsonSerializer.Serialize(r)))}]");

        var config = KimiConfigLoader.Load(null, args.ConfigFiles, overrides, NodeLayers);
        TrainCommand.ValidateNode(config, NodeLayers);
        if (seeds.Count == 0 && ManagementSettings.FromConfig(config).Bootstrap != BootstrapMode.Discovery)
            throw new UsageException($"node: --seed HOST:PORT is required (or {ManagementSettings.BootstrapKey} = discovery, as hocon/kubernetes.conf sets)");
        var configured = config.GetStringList(NodeRoles.RolesKey, []);
        if (NodeRoles.Unknown(configured) is [var unknown, ..])
            throw new ConfigException($"{NodeRoles.RolesKey} = [{string.Join(", ", configured)}]: unknown role '{unknown}' (roles: {NodeRoles.AllowedText})");
        if (configured.Count == 0) throw new ConfigException($"{NodeRoles.RolesKey} = []: a node needs at least one role ({NodeRoles.AllowedText})");
        // The judge settings name a bad key before the node joins (its judges build their verifiers from them); a judge
        // node loads its model judges now, so a folder that cannot be read stops it here.
        try
        {
            var judges = JudgeSettings.FromConfig(config);
            if (configured.Contains(JudgeSharding.DefaultRole)) judges.LoadModels();
        }
        catch (ArgumentException e) { throw new ConfigException(e.Message); }
        ClusterBootstrap.CheckDatabases(config);

        var stop = new TaskCompletionSource<PosixSignal>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();
        void Interrupt(PosixSignalContext signal)
        {
            // A second signal ends the process at once (the default action).
            if (!stop.TrySetResult(signal.Signal)) return;
            signal.Cancel = true;
            cancel.Cancel();
        }
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);

        KimiNode node;
        try { node = KimiNode.StartAsync(config, seeds, cancel.Token).GetAwaiter().GetResult(); }
        catch (OperationCanceledException) when (stop.Task.IsCompleted)
        {
            stderr.WriteLine($"kimi node: {stop.Task.Result} before the node joined its cluster");
            return ExitCode(stop.Task.Result);
        }
        var self = node.SelfAddress;
        var contact = $"{self.Host}:{self.Port?.ToString(CultureInfo.InvariantCulture)}";
        var cluster = Akka.Cluster.Cluster.Get(node.System);
        stdout.WriteLine($"kimi node {contact}: listening on {self}, roles {string.Join(", ", cluster.SelfRoles.Order())}; Up in a cluster of " +
            $"{cluster.State.Members.Count} member(s) (seeds {string.Join(", ", seeds.Select(s => $"{s.Host}:{s.Port}"))})");
        stdout.WriteLine($"kimi node {contact}: reach it with kimi train --cluster {contact} or kimi-console --contact {contact}");
        stdout.Flush();

        int index = Task.WaitAny(stop.Task, node.System.WhenTerminated);
        if (index == 1)
        {
            // Nobody asked this node to stop: the cluster removed it (the split-brain resolver downed it, or another member did).
            stderr.WriteLine($"kimi node {contact}: removed from the cluster (downed: unreachable from the majority, or by an operator) and " +
                "stopped; start it again to rejoin");
            return CliProgram.ExitFailed;
        }
        var signalled = stop.Task.Result;
        stderr.WriteLine($"kimi node {contact}: {signalled}: leaving the cluster (its shards hand off to the other members)");
        var left = Akka.Actor.CoordinatedShutdown.Get(node.System).Run(Akka.Actor.CoordinatedShutdown.ClusterLeavingReason.Instance);
        if (!left.Wait(LeaveTimeout) || !node.System.WhenTerminated.Wait(TimeSpan.FromSeconds(10)))
            stderr.WriteLine($"kimi node {contact}: leaving did not finish within {LeaveTimeout.TotalSeconds:0} s; exiting anyway");
        else stderr.WriteLine($"kimi node {contact}: left the cluster");
        return ExitCode(signalled);
    }

    private static int ExitCode(PosixSignal signal) => signal == PosixSignal.SIGINT ? CliProgram.ExitInterrupted : CliProgram.ExitTerminated;
}
