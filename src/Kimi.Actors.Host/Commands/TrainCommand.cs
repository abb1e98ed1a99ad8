using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Akka.Configuration;
using Kimi.Actors.Cluster.Management.Control;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Judge;
using Kimi.Actors.Tasks;
using Kimi.Actors.Cluster.Management;
using Kimi.Actors.Cluster.Management.Control;
using Kimi.Actors.Cluster.Node;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Run;
using Kimi.Actors.Cluster.Workers;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Cli;
using Kimi.Actors.Host.Output;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;
using TorchSharp;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;
using static TorchSharp.torch;

namespace Kimi.Actors.Host.Commands;

/// <summary>
/// <c>kimi train</c>: warm-up SFT, then RL, then a before/after table and a run folder. The default engine is the actor
/// system (one-node cluster: Run, Prompt, RolloutGenerator, RewardJudge and Trainer entities); <c>kimi.run.engine =
/// local</c> runs the same operations in one loop, in process, for comparison.
/// </summary>
public static class TrainCommand
{
    /// <summary>Node-level configuration layered under the run's own defaults.</summary>
    public static readonly string[] NodeLayers = ["hocon/workers.conf", "hocon/judges.conf", "hocon/akka.conf", "hocon/persistence.conf", "hocon/local-node.conf"];

    /// <summary>What <c>kimi train</c> was given.</summary>
    /// <param name="Settings"><c>--set key=value</c> overrides, in order.</param>
    /// <param name="Model">A Hugging Face model folder to train (kimi.model.pretrained).</param>
    /// <param name="Prompts">A prompt-set file to train on (kimi.tasks.train-file).</param>
    /// <param name="Serve">Listen for consoles on this port (<c>--serve [PORT]</c>); null: any free port, loopback only.</param>
    /// <param name="Cluster"><c>--cluster HOST:PORT</c> contact points of a running cluster; empty: a one-node cluster here.</param>
    public sealed record Arguments(string? Preset, IReadOnlyList<string> ConfigFiles, IReadOnlyList<string> Settings, string? Out,
        string? Resume, int? Iterations, long? Seed, string? Device, string? Model = null, string? Prompts = null, int? ManagementPort = null,
        int? Serve = null, IReadOnlyList<string>? Cluster = null);

    /// <summary>The port <c>--serve</c> alone listens on: the documented port of cluster nodes.</summary>
    public const int DefaultServePort = 4053;

    public static Command Create()
    {
        var layers = new ConfigLayerOptions();
        var output = CliOptions.Text("--out", "DIR", "the run folder (default: <kimi.run.runs-dir>/<run id>)");
        var resume = CliOptions.Id("--resume", "RUN_ID",
            "continue this run from its last committed iteration, with its journaled configuration (same database); " +
            $"a run id is {CommandLineIds.Allowed}, at most {CommandLineIds.MaxRunIdLength} characters", CommandLineIds.MaxRunIdLength);
        var iterations = CliOptions.Int("--iterations", "N", "RL iterations (kimi.run.iterations); with --resume, N more", min: 0);
        var seed = CliOptions.Long("--seed", "N", "the run's seed (kimi.run.seed)", min: 0);
        var device = CliOptions.Device("cpu, cuda, cuda:N or auto: kimi.run.device and, except auto, the workers' kimi.workers.devices", allowAuto: true);
        var serve = CliOptions.OptionalInt("--serve", "PORT",
            $"keep the run reachable by kimi-console on this port (default {DefaultServePort}) of akka.remote.dot-netty.tcp.hostname " +
            "(127.0.0.1 unless set; 0: a free port the system picks); prints the kimi-console line to use", min: 0, max: 65535, whenAlone: DefaultServePort);
        var cluster = CliOptions.Repeated("--cluster", "HOST:PORT",
            "submit the run to a running cluster (kimi node) at this node's remoting address (repeatable: more contact points) " +
            "through a cluster client, and follow it; without it, the run gets a one-node cluster of its own");
        var model = CliOptions.Text("--model", "DIR",
            "a Hugging Face model folder (Llama, Qwen2, Qwen3) to train instead of the tiny built-in model (kimi.model.pretrained); " +
            "prompts go through its chat template, checkpoints are written in its layout");
        var prompts = CliOptions.Text("--prompts", "FILE",
            "a prompt-set JSONL file to train on (kimi.tasks.train-file); held out: kimi.tasks.heldout-file, else kimi.tasks.heldout-fraction of FILE");
        var managementPort = CliOptions.Int("--management-port", "PORT",
            "serve /healthz/ready, /healthz/live and /metrics over HTTP on this port (kimi.management.http.port; turns " +
            "kimi.management.enabled on)", min: 1);
        var command = new Command("train", "warm-up SFT, then RL on the built-in tasks (or the prompt sets of kimi.tasks.*-file); " +
            "writes the run folder (summary.json, metrics.jsonl, charts, checkpoints). With --resume RUN_ID, continues that run.")
        {
            layers.Preset, layers.Config, layers.Set, output, resume, iterations, seed, device, model, prompts, managementPort, serve, cluster,
        };
        command.SetAction(r =>
        {
            var (preset, files, settings) = layers.Read(r);
            return Run(new Arguments(preset, files, settings, r.GetValue(output), r.GetValue(resume), r.GetValue(iterations), r.GetValue(seed),
                r.GetValue(device), r.GetValue(model), r.GetValue(prompts), r.GetValue(managementPort), r.GetValue(serve), r.GetValue(cluster)), r.InvocationConfiguration.Output, r.InvocationConfiguration.Error);
        });
        return command;
    }

    public static int Run(Arguments args, TextWriter stdout, TextWriter stderr)
    {
        var (preset, files, outDir, resume, iterations) = (args.Preset, args.ConfigFiles, args.Out, args.Resume, args.Iterations);
        // kimi.console.* say how a client reaches a cluster (hocon/console.conf): this process's own, never the run's.
        var clientSettings = args.Settings.Where(s => KimiConfigLoader.SplitOverride(s).Key.StartsWith(ClientSection, StringComparison.Ordinal)).ToList();
        if (clientSettings.Count > 0 && args.Cluster is not { Count: > 0 })
            throw new UsageException($"train: --set {clientSettings[0]}: {ClientSection}* settings apply to a client of a cluster (--cluster HOST:PORT)");
        var overrides = args.Settings.Except(clientSettings).ToList();
        if (iterations is { } n && resume is null) overrides.Add($"kimi.run.iterations={n}");
        if (args.Seed is { } seed) overrides.Add($"kimi.run.seed={seed}");
        if (args.Device is { } device)
        {
            overrides.Add($"kimi.run.device={device}");
            // The cluster engine's GPU workers take their devices from the node's DevicePool (auto keeps its list).
            if (device != "auto") overrides.Add($"kimi.workers.devices=[{JsonSerializer.Serialize(device)}]");
        }
        // Paths become absolute: the run's configuration is journaled, and workers and a resumed run may start elsewhere.
        if (args.Model is { } modelDir) overrides.Insert(0, $"kimi.model.pretrained={JsonSerializer.Serialize(Path.GetFullPath(modelDir))}");
        if (args.Prompts is { } promptFile) overrides.Insert(0, $"kimi.tasks.train-file={JsonSerializer.Serialize(Path.GetFullPath(promptFile))}");
        if (args.ManagementPort is { } port)
        {
            if (port > 65535) throw new UsageException($"train: --management-port {port}: expected a TCP port, 1..65535");
            overrides.Add($"{ManagementSettings.EnabledKey}=on");
            overrides.Add($"{ManagementSettings.PortKey}={port}");
        }
        bool setsIdentity = args.Settings.Select(KimiConfigLoader.SplitOverride).Any(s => s.Key is "kimi.run.seed" or "kimi.run.device");
        if (resume is not null && (preset is not null || args.Seed is not null || args.Device is not null || args.Model is not null || args.Prompts is not null || setsIdentity))
            throw new UsageException("train: --resume continues a run with its own configuration; --preset, --seed, --device, --model and --prompts do not apply");

        // --serve fixes the node's remoting port: the contact point a console names.
        if (args.Serve is { } servePort) overrides.Add($"akka.remote.dot-netty.tcp.port={servePort}");
        // A resumed run keeps its journaled configuration: its --set values are hyperparameter changes the Run validates,
        // except settings of this process (akka.*, kimi.persistence.*, kimi.workers.*, ..., kimi.run.runs-dir).
        var nodeOverrides = resume is null ? overrides : overrides.Where(IsNodeSetting).ToList();
        var runChanges = resume is null ? [] : overrides.Except(nodeOverrides).Select(KimiConfigLoader.SplitOverride).ToList();
        var contacts = ContactsOf(args.Cluster ?? []);
        bool remote = contacts.Count > 0;
        if (remote && args.ManagementPort is not null)
            throw new UsageException("train: --cluster: --management-port serves a node of this process, and a client has none (give it to kimi node with --set kimi.management.enabled=on)");
        if (remote && args.Device is not null)
            throw new UsageException("train: --cluster: the cluster's nodes have their devices (kimi node --set kimi.workers.devices=...); --device does not apply");
        if (remote && nodeOverrides.Select(KimiConfigLoader.SplitOverride).FirstOrDefault(s => IsNodeOnly(s.Key)) is { Key: { } nodeKey })
            throw new UsageException($"train: --cluster: {nodeKey} configures the cluster's nodes (set it on kimi node), not a run submitted to them");
        var config = KimiConfigLoader.Load(preset, files, nodeOverrides, NodeLayers);
        var options = RunOptionsBinder.Bind(config);
        var engine = config.GetString("kimi.run.engine");
        if (engine is not ("cluster" or "local")) throw new ConfigException($"kimi.run.engine = {engine}: expected cluster or local");
        if ((resume is not null || remote) && engine != "cluster")
            throw new UsageException($"train: {(remote ? "--cluster" : "--resume")} needs the cluster engine (kimi.run.engine = cluster)");
        if (args.Serve is not null && engine != "cluster")
            throw new UsageException("train: --serve needs the cluster engine (kimi.run.engine = cluster): the local engine has no control plane");
        if (args.Serve is not null && remote)
            throw new UsageException("train: --serve with --cluster: a run submitted to a cluster is steered through its nodes (kimi-console --contact NODE)");
        // A local engine or node judges with this process's judge settings; a run with code tasks needs the sandbox before
        // it starts. A run submitted to a cluster is judged there, with the nodes' settings.
        if (!remote)
        {
            try
            {
                var judges = JudgeSettings.FromConfig(config);
                // Model judges serve in the RewardJudge entities; the local engine judges with the rule verifiers only.
                if (engine == "local" && judges.Models.Count > 0)
                    throw new ArgumentException($"{JudgeSettings.ConfigPath}.models.{judges.Models.Keys.First()}: model judges serve in the cluster engine's RewardJudge entities (kimi.run.engine = cluster), not the local engine");
                judges.Apply(startSandbox: options.Tasks.Families.Contains(Verifiers.Code));
                judges.LoadModels();
            }
            catch (ArgumentException e) { throw new ConfigException(e.Message); }
        }
        ControlClient? client = null;
        if (remote)
        {
            // Nothing is created before the cluster has answered: a wrong address fails within the connect timeout.
            client = Connect(contacts, clientSettings);
        }
        else if (engine == "cluster")
        {
            ValidateNode(config, NodeLayers);
            // One node is the whole cluster: an entity type none of its roles hosts would be waited for for ever.
            NodeRoles.RequireWholeCluster(config);
            if (resume is not null) RefuseWithoutJournal(config, resume);
            // A database that cannot be used is refused before the run folder is created; the file is never changed.
            ClusterBootstrap.CheckDatabases(config);
        }
        RunId runId;
        if (resume is null) runId = RunId.New(DateTime.UtcNow, Random.Shared);
        else if (!RunId.TryParse(resume, out runId, out var problem)) throw new UsageException($"train: --resume: {problem}");
        options = options with { RunId = runId.Value };
        RunFolder folder;
        try { folder = RunFolder.Prepare(outDir ?? Path.Combine(config.GetString("kimi.run.runs-dir"), runId.Value)); }
        catch
        {
            client?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        TorchRuntime.SetThreads(options.Threads);

        return engine switch
        {
            "cluster" => RunOnCluster(config, options, runId, folder, preset, resume is not null, iterations, runChanges, args.Serve is not null, client, stdout, stderr),
            _ => RunLocally(options, folder, preset, stdout, stderr),
        };
    }

    private const string ClientSection = "kimi.console.";

    private static IReadOnlyList<ContactPoint> ContactsOf(IReadOnlyList<string> texts) =>
        texts.Select(t => ContactPoint.TryParse(t, out var c, out var problem) ? c : throw new UsageException($"train: --cluster {problem}")).Distinct().ToList();

    /// <summary>A setting only the nodes read (their workers, persistence, prompts, faults, Akka): meaningless for a client.</summary>
    private static bool IsNodeOnly(string key) => key.StartsWith("akka.") || RunOptionsBinder.NodeSections.Any(s => key.StartsWith($"kimi.{s}."));

    /// <summary>
    /// Reaches the cluster through a cluster client (the console's defaults: hocon/console.conf); a contact point where
    /// nothing answers is the user's to fix.
    /// </summary>
    private static ControlClient Connect(IReadOnlyList<ContactPoint> contacts, IReadOnlyList<string> clientSettings)
    {
        var settings = ControlClientSettings.FromConfig(KimiConfigLoader.Load(null, [], clientSettings, ["hocon/console.conf"]), contacts);
        try { return ControlClient.ConnectAsync(settings).GetAwaiter().GetResult(); }
        catch (ControlUnreachableException e) { throw new ClusterStartException($"train: --cluster: {e.Message}"); }
    }

    /// <summary>A setting of this process rather than of the run: Akka, the node's sections, where run folders go.</summary>
    private static bool IsNodeSetting(string setting)
    {
        var (key, _) = KimiConfigLoader.SplitOverride(setting);
        return key.StartsWith("akka.") || key == "kimi.run.runs-dir" || RunOptionsBinder.NodeSections.Any(s => key.StartsWith($"kimi.{s}."));
    }

    /// <summary>
    /// A SQLite journal that does not exist (or is empty) holds no run: <c>--resume</c> of any run is refused at once,
    /// before a node starts and without creating the database. Otherwise the Run entity answers for its journal.
    /// </summary>
    private static void RefuseWithoutJournal(Config config, string runId)
    {
        var journal = ClusterBootstrap.Journal(config);
        if (journal.SqliteFile is not { } file) return;
        if (!File.Exists(file)) throw new UsageException($"run {runId}: no run with id {runId}: the journal {journal.Description} does not exist");
        if (new FileInfo(file).Length == 0) throw new UsageException($"run {runId}: no run with id {runId}: the journal {journal.Description} is empty");
    }

    /// <summary>
    /// Node settings are validated before anything starts, so a bad value names its key up front; a key the shipped
    /// hocon/ files (<paramref name="layers"/>) do not define is a typo (the settings classes would ignore it).
    /// </summary>
    public static void ValidateNode(Config config, IEnumerable<string> layers)
    {
        var shipped = KimiConfigLoader.Load(null, [], [], layers);
        new ConfigReader(config, "kimi").RejectKeysNotIn(shipped, RunOptionsBinder.NodeSections, "workers.compute-dispatcher", "judges.sandbox.languages");
        try
        {
            WorkerSettings.FromConfig(config);
            RunNodeSettings.FromConfig(config);
            ManagementSettings.FromConfig(config);
            PromptSettings.FromConfig(config);
        }
        catch (Exception e) when (e is ArgumentException or ConfigurationException) { throw new ConfigException(e.Message); }
    }

    /// <param name="client">A client of a running cluster (<c>--cluster</c>), or null: a one-node cluster in this process.</param>
    private static int RunOnCluster(Config config, RunOptions options, RunId runId, RunFolder folder, string? preset, bool resume, int? iterations,
        IReadOnlyList<(string Key, string Value)> runChanges, bool serve, ControlClient? client, TextWriter stdout, TextWriter stderr)
    {
        if (serve) RefuseBusyPort(config);
        var wall = Stopwatch.StartNew();
        var where = client is null ? "a one-node cluster" : $"the cluster at {client.Settings.ContactList} (node {client.Answered.Node})";
        stderr.WriteLine(!resume ? $"run {options.RunId}: {where}, writing {folder.Path}" : $"run {options.RunId}: resuming on {where}, writing {folder.Path}");
        using var output = new RunOutputWriter(folder);
        using var progress = new ConsoleProgress(stderr);
        var observer = new ObserverGroup(progress, output);

        var outcome = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        var accepted = new TaskCompletionSource<RunAccepted>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Ctrl-C or SIGTERM stops the run here: the node shuts down cleanly and the journal keeps every committed
        // iteration (the one in flight is run again on resume). A client of a running cluster stops following; the run
        // goes on there. A second signal ends the process at once.
        void Interrupt(PosixSignalContext signal)
        {
            if (outcome.TrySetResult(new Interrupted(signal.Signal))) signal.Cancel = true;
        }
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
        object result;
        PlacementProtocol.RunPlacement? placement = null;
        ControlProtocol.ClusterView? view = null;
        KimiNode? node = null;
        try
        {
            if (client is null)
            {
                node = KimiNode.StartAsync(config).GetAwaiter().GetResult();
                if (serve)
                {
                    var address = Akka.Cluster.Cluster.Get(node.System).SelfAddress;
                    var contact = new ContactPoint(address.Host!, address.Port!.Value);
                    stderr.WriteLine($"kimi: run {runId} is reachable at {contact}; steer it with: kimi-console --contact {contact} status");
                }
                if (node.ManagementEndpoint is { } endpoint)
                    stderr.WriteLine($"run {options.RunId}: management endpoint {endpoint} ({ManagementSettings.ReadyPath}, {ManagementSettings.LivePath}, {ManagementSettings.MetricsPath})");
            }
            var system = node?.System ?? client!.System;
            var commands = new List<object>();
            if (!resume)
            {
                commands.Add(new StartRun(runId, RunOptionsBinder.RunConfigHocon(config)));
            }
            else
            {
                foreach (var (key, value) in runChanges) commands.Add(new SetHyperparameter(runId, key, value));
                commands.Add(new ContinueRun(runId, iterations));
            }
            var link = node is not null ? RunLink.Local(node.Runs, runId) : RunLink.Remote(client!, runId);
            system.ActorOf(RunClient.Props(link, commands, observer, folder, options.Sft.Steps, outcome, accepted), "run-client");
            result = outcome.Task.GetAwaiter().GetResult();
            if (result is RunFinished && client is not null) (placement, view) = PlacementOf(client, runId, stderr);
            if (result is RunFinished done && node is not null)
            {
                // Prompt success rates from the journal, while the node (and its read journal) is still up.
                PromptStatsFile.WriteFromJournal(node.System, runId, done.EndIteration, folder.File(PromptStatsFile.FileName));
                if (resume)
                    PromptStatsFile.WriteFromJournal(node.System, runId, done.StartIteration, folder.File(PromptStatsFile.StartFileName));
            }
        }
        finally
        {
            node?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            client?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        progress.Dispose();   // a live bar still drawing (a stopped run) would draw over the lines below

        var resumeCommand = client is null ? $"kimi train --resume {runId}" : $"kimi train --cluster {client.Settings.Contacts[0]} --resume {runId}";
        switch (result)
        {
            case Interrupted i when client is not null:
                stderr.WriteLine($"kimi: stopped following run {runId} ({i.Signal}); it goes on on the cluster: follow it again with: {resumeCommand}");
                return i.Signal == PosixSignal.SIGINT ? 130 : 143;
            case Interrupted i:
                stderr.WriteLine($"kimi: run {options.RunId} interrupted ({i.Signal}); its committed iterations are kept; " +
                    $"continue it with: {resumeCommand}");
                return i.Signal == PosixSignal.SIGINT ? 130 : 143;
            // The Run entity answers from the journal it recovered: the message says which database (or cluster) that was.
            case RunRejected r:
                throw new UsageException($"run {r.RunId}: {r.Reason} ({(client is null ? ClusterBootstrap.Journal(config).Description : where)})");
            case ControlClient.WatchLost lost:
                stderr.WriteLine($"kimi: lost the cluster while following run {runId}: {lost.Reason}; the run may go on there: follow it again with: {resumeCommand}");
                return 1;
            case RunFailed f:
                stderr.WriteLine($"kimi: run {runId} failed: {f.Reason}");
                stderr.WriteLine($"kimi: its committed iterations are kept; continue it with: {resumeCommand}");
                return 1;
        }
        var finished = (RunFinished)result;
        // A session that started again after a failure (a node left) reports its own start; this invocation began earlier.
        if (accepted.Task.IsCompletedSuccessfully && accepted.Task.Result.StartIteration < finished.StartIteration)
            finished = finished with { StartIteration = accepted.Task.Result.StartIteration };
        output.WriteCharts();
        var sft = finished.Sft ?? finished.Final;
        var summary = Summary(options, preset, "cluster", sft, finished.Final, wall.Elapsed.TotalSeconds) with
        {
            StartIteration = finished.StartIteration,
            Iterations = finished.EndIteration - finished.StartIteration,
            ActorOverheadFraction = finished.MeanOverheadFraction,
            Parameters = finished.Parameters,
            Device = finished.Device,
            Decoding = finished.Decoding is { Length: > 0 } d ? d : "eager",
            SftSeconds = finished.SftSeconds,
            RlSeconds = output.RlSeconds,
            Checkpoint = Directory.Exists(folder.File("checkpoints/final")) ? folder.File("checkpoints/final") : finished.Checkpoint.Directory,
            Nodes = placement is null ? null : RunSummary.NodesOf(placement, view),
        };
        summary.Write(folder.File("summary.json"));
        HeldOutTable.Write(stdout, sft, finished.Final);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"iterations {finished.StartIteration}..{finished.EndIteration}, actor overhead {finished.MeanOverheadFraction:P1} of iteration time"));
        stdout.WriteLine($"run {options.RunId} written to {folder.Path}");
        return 0;
    }

    /// <summary>A port another process holds is refused before anything starts, naming it (Akka would fail deep in remoting).</summary>
    private static void RefuseBusyPort(Config config)
    {
        var host = config.GetString("akka.remote.dot-netty.tcp.hostname", "127.0.0.1");
        int port = config.GetInt("akka.remote.dot-netty.tcp.port", 0);
        var address = host is "" or "0.0.0.0" ? System.Net.IPAddress.Any
            : System.Net.IPAddress.TryParse(host, out var ip) ? ip
            : System.Net.Dns.GetHostAddresses(host).FirstOrDefault() ?? System.Net.IPAddress.Any;
        try
        {
            var listener = new System.Net.Sockets.TcpListener(address, port);
            listener.Start();
            listener.Stop();
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new UsageException($"train: --serve {port}: cannot listen on {host}:{port} ({e.SocketErrorCode}: {e.Message}); choose another port");
        }
    }

    /// <summary>The outcome of a cluster run stopped by a signal before it finished.</summary>
    private sealed record Interrupted(PosixSignal Signal);

    /// <summary>Where the run's entities lived (the Run's view) and which nodes host Prompt and judge entities; null parts when unanswered.</summary>
    private static (PlacementProtocol.RunPlacement?, ControlProtocol.ClusterView?) PlacementOf(ControlClient client, RunId runId, TextWriter stderr)
    {
        PlacementProtocol.RunPlacement? placement = null;
        ControlProtocol.ClusterView? view = null;
        try
        {
            placement = client.AskAsync(new PlacementProtocol.GetRunPlacement(runId), $"the placement of run {runId}", TimeSpan.FromSeconds(15))
                .GetAwaiter().GetResult() as PlacementProtocol.RunPlacement;
            view = client.AskAsync(new ControlProtocol.GetClusterView(), "the cluster's members", TimeSpan.FromSeconds(15)).GetAwaiter().GetResult() as ControlProtocol.ClusterView;
        }
        catch (ControlException e) { stderr.WriteLine($"kimi: summary.json without nodes: {e.Message}"); }
        return (placement, view);
    }

    private static int RunLocally(RunOptions options, RunFolder folder, string? preset, TextWriter stdout, TextWriter stderr)
    {
        Device dev;
        try { dev = TorchRuntime.ResolveDevice(options.Device); }
        catch (ArgumentException e) { throw new ConfigException($"kimi.run.device = {options.Device}: {e.Message}"); }
        var tokenizer = options.Tokenizer.Create();
        TaskSuite tasks;
        try { tasks = TaskSuite.Create(options.Tasks, options.Seed, tokenizer); }
        catch (ArgumentException e) { throw new ConfigException("kimi.tasks: " + e.Message); }

        LlamaForCausalLM initial;
        try { initial = PolicyCheckpoint.Initial(options.Model, options.Seed, options.InitCheckpoint, options.Dtype, dev); }
        catch (Exception e) when (e is CheckpointException or ArgumentException) { throw new ConfigException($"initial weights: {e.Message}"); }
        using var policy = initial;
        stderr.WriteLine($"run {options.RunId}: {policy.ParameterCount():N0}-parameter policy on {dev}, {tasks.Train.Count} training, {tasks.Validation.Count} validation and {tasks.Test.Count} test prompts, writing {folder.Path}");

        var wall = Stopwatch.StartNew();
        using var output = new RunOutputWriter(folder);
        using var progress = new ConsoleProgress(stderr);
        using var engine = new LocalRunEngine(options, tasks, tokenizer, policy, new ObserverGroup(progress, output));
        RunResult result;
        try { result = engine.Run(); }
        catch (RunFailedException e)
        {
            stderr.WriteLine($"kimi: run {options.RunId} failed: {e.Message}");
            return 1;
        }
        output.WriteCharts();

        var checkpoint = folder.File("checkpoints/final");
        PolicyCheckpoint.Save(checkpoint, policy, new Dictionary<string, string> { ["run_id"] = options.RunId, ["iterations"] = options.Iterations.ToString(CultureInfo.InvariantCulture) });
        var summary = Summary(options, preset, "local", result.Sft, result.Rl, wall.Elapsed.TotalSeconds) with
        {
            Iterations = options.Iterations, ActorOverheadFraction = result.Finished.MeanOverheadFraction, Parameters = result.Finished.Parameters, Device = result.Finished.Device, Checkpoint = checkpoint,
            Decoding = result.Finished.Decoding is { Length: > 0 } d ? d : "eager",
            SftSeconds = output.SftSeconds, RlSeconds = output.RlSeconds,
        };
        summary.Write(folder.File("summary.json"));
        HeldOutTable.Write(stdout, result.Sft, result.Rl);
        stdout.WriteLine($"run {options.RunId} written to {folder.Path}");
        return 0;
    }

    private static RunSummary Summary(RunOptions options, string? preset, string engine, HeldOutEvaluation sft, HeldOutEvaluation rl, double wallSeconds) => new()
    {
        RunId = options.RunId, Engine = engine, Preset = preset, Seed = options.Seed,
        SftAccuracy = sft.Accuracy, RlAccuracy = rl.Accuracy, AccuracyMetric = rl.Primary.Mode,
        HeldOutCount = rl.Primary.Prompts,
        SftGreedyAccuracy = sft.Greedy.Accuracy, RlGreedyAccuracy = rl.Greedy.Accuracy,
        SftSampledAccuracy = sft.Sampled.Accuracy, RlSampledAccuracy = rl.Sampled.Accuracy,
        SftMeanResponseTokens = Math.Round(sft.Primary.MeanResponseTokens, 3), RlMeanResponseTokens = Math.Round(rl.Primary.MeanResponseTokens, 3),
        SftByDifficulty = RunSummary.ByDifficulty(sft.Primary), RlByDifficulty = RunSummary.ByDifficulty(rl.Primary),
        SftByDomain = RunSummary.ByDomain(sft.Primary), RlByDomain = RunSummary.ByDomain(rl.Primary), WallSeconds = wallSeconds,
        SftByModality = RunSummary.ByModality(sft.Primary), RlByModality = RunSummary.ByModality(rl.Primary),
        HeldOutByModality = RunSummary.CountByModality(rl.Primary),
    };
}
