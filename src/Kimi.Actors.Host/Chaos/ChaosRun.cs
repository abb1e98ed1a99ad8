using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Akka.Configuration;
using Akka.Persistence.Query;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.Management.Control;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Protocol.Journal;
using Kimi.Actors.Cluster.Run;
using Kimi.Actors.Host.Commands;
using Kimi.Actors.Host.Output;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Host.Chaos;

/// <summary>How big the training run of a scenario is: a CI-sized tiny run, or the smoke preset.</summary>
public enum ChaosSize { Tiny, Smoke }

/// <summary>The scenario cannot run here (no PostgreSQL server to use, no network namespaces); the message says why.</summary>
public sealed class ScenarioUnavailableException(string message) : Exception(message);

/// <summary>A scenario went wrong in a way that is not the system's to recover from (a node that never started, a deadline).</summary>
public sealed class ScenarioFailedException(string message) : Exception(message);

/// <summary>
/// One execution of a <see cref="ChaosScenario"/>: a PostgreSQL database of its own (made on the server it is given and
/// dropped at the end, or, where the scenario restarts or re-addresses the server, on a server of its own), the scenario's
/// <c>kimi node</c> processes on loopback (or each in a network namespace of its own), a <c>kimi train --cluster</c> client
/// that submits and follows a training run, the scenario's faults while the run goes on, then the exactly-once audit of
/// the journal and the <see cref="ChaosReport"/>. Everything it starts is stopped and removed at the end.
/// </summary>
public sealed partial class ChaosRun : IDisposable
{
    private static readonly TimeSpan NodeStartTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan StatusPoll = TimeSpan.FromMilliseconds(100);

    private readonly ChaosScenario _scenario;
    private readonly ChaosSize _size;
    private readonly string _folder;
    private readonly TextWriter _log;
    private readonly TimeSpan _runTimeout;
    private readonly Dictionary<string, (ChaosNodeSpec Spec, int Index, int Port, ChaosProcess Process)> _nodes = [];
    private readonly List<ChaosProcess> _processes = [];
    private readonly Stopwatch _clock = new();
    private readonly string? _server;
    private ScratchDatabase? _database;
    private PostgresServer? _postgres;
    private NetworkNamespaces? _net;
    private ControlClient? _control;
    private string _nodeConfigFile = "";
    private int _incarnations;

    public RunId RunId { get; private set; }

    /// <param name="server">
    /// Connection string of the PostgreSQL server (its role must be allowed to create databases); null: none, which only the
    /// scenarios with a server of their own can do without.
    /// </param>
    public ChaosRun(ChaosScenario scenario, ChaosSize size, string folder, TextWriter log, TimeSpan runTimeout, string? server)
    {
        (_scenario, _size, _folder, _log, _runTimeout, _server) = (scenario, size, folder, log, runTimeout, server);
    }

    private void Say(string text) => _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"chaos {_scenario.Name} [{_clock.Elapsed.TotalSeconds,6:F1}s]: {text}"));

    /// <summary>Runs the scenario to its end and reports.</summary>
    /// <exception cref="ScenarioUnavailableException">The PostgreSQL server cannot be used, or this machine lacks what the scenario needs.</exception>
    public ChaosReport Execute()
    {
        _clock.Start();
        RequireCpus();
        Directory.CreateDirectory(_folder);
        if (_scenario.NeedsNamespaces)
        {
            _net = NetworkNamespaces.Create();
            Say($"network namespaces on bridge {_net.BridgeAddress}");
        }
        string connectionString;
        if (_scenario.OwnServer)
        {
            _postgres = PostgresServer.Start(_folder, _net is null ? [Loopback] : [Loopback, _net.BridgeAddress]);
            connectionString = _postgres.ConnectionString(Host);
        }
        else
        {
            if (string.IsNullOrWhiteSpace(_server))
                throw new ScenarioUnavailableException($"{PersistenceProvider.ConnectionStringVariable} is not set: the scenario needs a PostgreSQL " +
                    "server whose role may create databases (export KIMI_PERSISTENCE_CONNECTION_STRING=$(.ci/postgres.sh) starts one on loopback)");
            try { _database = ScratchDatabase.Create(_server, "kimi_chaos_"); }
            catch (Exception e) when (e is Npgsql.NpgsqlException or ArgumentException)
            {
                throw new ScenarioUnavailableException($"PostgreSQL ({ScratchDatabase.Describe(_server)}) cannot be used: " +
                    PersistenceProvider.Scrub(e.Message, _server));
            }
            connectionString = _database.ConnectionString;
        }
        // The scenario's nodes, and the audit in this process, use its own database: the variable wins over every file.
        Environment.SetEnvironmentVariable(PersistenceProvider.ConnectionStringVariable, connectionString);
        Say($"PostgreSQL {(_postgres is null ? "" : "server of its own, ")}{ScratchDatabase.Describe(connectionString)}; work folder {_folder}");
        _nodeConfigFile = WriteNodeConfig();

        foreach (var spec in _scenario.Nodes.OrderByDescending(n => n.Seed)) StartNode(spec, waitUp: spec.Seed);
        foreach (var name in _nodes.Keys.Where(n => !_nodes[n].Spec.Seed)) WaitUp(name);
        _control = ControlClient.ConnectAsync(ControlClientSettings.FromConfig(ClientConfig(), Contacts())).GetAwaiter().GetResult();

        var runConfig = WriteRunConfig();
        var outDir = Path.Combine(_folder, "run");
        var args = new List<string> { "train", "--out", outDir, "--config", runConfig };
        if (_size == ChaosSize.Smoke) args.AddRange(["--preset", "smoke"]);
        foreach (var contact in Contacts()) args.AddRange(["--cluster", contact.ToString()]);
        // The client's own remoting address: one the nodes can reach (the bridge, when they live in namespaces).
        if (_net is not null) args.AddRange(["--set", $"kimi.console.hostname={Host}"]);
        var client = Track(ChaosProcess.Start(ClientName, args, Path.Combine(_folder, "client.log"), new Dictionary<string, string>()));
        if (!client.WaitUntil(() => RunIdIn(client.Output) is not null, TimeSpan.FromMinutes(2)))
            throw new ScenarioFailedException($"the client did not start the run: {Tail(client.Output)}");
        RunId = RunIdIn(client.Output)!.Value;
        Say($"run {RunId} submitted");

        int injected = _scenario.Inject(this);
        Say("waiting for the run to end");
        int? exit = client.WaitForExit(_runTimeout);
        if (exit is null) Say($"the run did not end within {_runTimeout.TotalMinutes:0} min");
        var summaryFile = Path.Combine(outDir, "summary.json");
        bool completed = exit == 0 && File.Exists(summaryFile);
        Say($"client exited {exit?.ToString(CultureInfo.InvariantCulture) ?? "(still running)"}; completed {completed}");

        var (audit, versions) = Audit();
        var summary = File.Exists(summaryFile) ? RunSummary.Read(summaryFile) : null;
        var options = RunOptionsBinder.Bind(RunConfig(runConfig));
        int k = options.Rollout.SamplesPerPrompt;
        // Every node process the scenario started (killed ones included); the client only echoes what nodes said.
        var nodeLogs = _processes.Where(p => p.Name != ClientName).Select(p => p.Output).ToList();
        int nodeFaults = nodeLogs.Sum(InjectionLines);
        int workerRestarts = nodeLogs.Sum(o => CountLines(o, WorkerRestartMarker));
        return new ChaosReport
        {
            Scenario = _scenario.Name,
            Completed = completed,
            FaultsInjected = injected + nodeFaults,
            FaultsExpected = _scenario.InjectsFaults,
            Recoveries = nodeLogs.Sum(o => RecoveryMarkers.Sum(m => CountLines(o, m))),
            WorkerRestarts = workerRestarts,
            PersistenceFailures = nodeLogs.Sum(o => PersistenceFailureMarkers.Sum(m => CountLines(o, m))),
            GroupsExpected = options.Iterations * options.Rollout.PromptsPerIteration,
            GroupsTrained = audit.TrainedByIteration.Values.SelectMany(t => t).Select(t => t.Group).Distinct().Count(),
            Lost = audit.Lost.Count,
            Duplicated = audit.Duplicated.Count,
            Unjudged = audit.Unjudged.Count,
            TrainedTrajectories = audit.Trained,
            SamplesPerPrompt = k,
            CommittedIterations = audit.CommittedIterations,
            WeightVersions = versions,
            VersionsIncrease = versions.Zip(versions.Skip(1)).All(p => p.Item2 > p.Item1),
            WallSeconds = Math.Round(_clock.Elapsed.TotalSeconds, 1),
            FinalAccuracy = summary?.RlAccuracy,
            RunId = RunId.Value,
            Nodes = summary?.Nodes,
            Scale = _scale?.Measure(Path.Combine(outDir, "metrics.jsonl")),
        };
    }

    // ---------------------------------------------------------------- what scenarios do

    /// <summary>Waits until the run has committed <paramref name="committed"/> iterations and is generating the next one.</summary>
    public void WaitForIteration(int committed)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(_size == ChaosSize.Smoke ? 20 : 10);
        while (DateTime.UtcNow < deadline)
        {
            if (Status() is { } s && s.Iteration >= committed && s.Phase == RunPhase.Iterating)
            {
                Say($"run at iteration {s.Iteration} ({s.Phase})");
                return;
            }
            Thread.Sleep(StatusPoll);
        }
        throw new ScenarioFailedException($"run {RunId} did not reach iteration {committed} in time");
    }

    /// <summary>A node (by name) hosting one of the run's entities of <paramref name="role"/> (trainer, rollout), not <paramref name="exclude"/>.</summary>
    public string NodeHosting(string role, string? exclude = null)
    {
        var placement = Placement();
        var hosts = placement.Current.Where(p => role == "trainer" ? p.Key == "trainer" : p.Key.StartsWith("rollout-", StringComparison.Ordinal))
            .Select(p => NameOf(p.Value)).Where(n => n is not null && n != exclude).Order(StringComparer.Ordinal).ToList();
        return hosts.FirstOrDefault() ?? throw new ScenarioFailedException($"no node hosts a {role} entity of run {RunId} ({string.Join(", ", placement.Current)})");
    }

    public string NodeHostingRun() => NameOf(Placement().RunNode) ?? throw new ScenarioFailedException("the Run entity's node is not one of the scenario's");

    /// <summary>SIGKILL: nothing is flushed, the node's worker processes notice their parent is gone and exit.</summary>
    public void Kill(string name)
    {
        Say($"kill -9 {name} (pid {_nodes[name].Process.Id})");
        _nodes[name].Process.Signal(ChaosProcess.SigKill);
        // The fault counts only once the process is really gone (137: killed by signal 9).
        var exit = _nodes[name].Process.WaitForExit(TimeSpan.FromSeconds(30))
            ?? throw new ScenarioFailedException($"node {name} still runs 30 s after kill -9");
        Say($"{name} exited {exit.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>
    /// Stops the scenario's own PostgreSQL server (<c>fast</c>: open sessions are ended, so every node's connections fail),
    /// keeps it down for <paramref name="down"/>, and starts it again on the same port and data.
    /// </summary>
    public void RestartDatabase(TimeSpan down)
    {
        var server = _postgres ?? throw new InvalidOperationException($"scenario {_scenario.Name} has no PostgreSQL server of its own to restart");
        server.Stop("fast");
        Say($"PostgreSQL stopped (pg_ctl stop -m fast); down for {down.TotalSeconds:0} s");
        Thread.Sleep(down);
        server.StartServer();
        Say("PostgreSQL started again");
    }

    /// <summary>
    /// Cuts <paramref name="name"/> off the network (its link to the bridge goes down) until the split-brain resolver has
    /// downed it and it has exited; then restores the link, starts it again in its namespace and waits until it is up.
    /// </summary>
    public void Partition(string name, TimeSpan exitTimeout)
    {
        var node = _nodes[name];
        Say($"cutting {name} off the network (link of namespace {_net!.NamespaceOf(node.Index)} down)");
        _net.SetLink(node.Index, up: false);
        var exit = node.Process.WaitForExit(exitTimeout);
        // Up again once the namespace reaches the database (the node's first check at start).
        _net.SetLink(node.Index, up: true, Host, _postgres!.Port);
        if (exit is null)
        {
            node.Process.Signal(ChaosProcess.SigKill);
            throw new ScenarioFailedException($"{name} still ran {exitTimeout.TotalSeconds:0} s after it was cut off: the resolver did not down it");
        }
        Say($"{name} exited {exit.Value.ToString(CultureInfo.InvariantCulture)} while cut off; link restored, starting it again");
        StartNode(node.Spec, waitUp: true, index: node.Index);
    }

    // ---------------------------------------------------------------- nodes

    private void StartNode(ChaosNodeSpec spec, bool waitUp, int? index = null)
    {
        // Interrupted (kimi chaos got SIGINT or SIGTERM): what Dispose stopped must not be started again behind its back.
        if (Volatile.Read(ref _disposed) == 1) throw new ScenarioFailedException($"the scenario was stopped before {spec.Name} could start");
        int i = index ?? _nodes.Count + 1;
        if (_net is not null && index is null) _net.AddNode(i);
        int p = FreePort();
        var seeds = _nodes.Values.Where(n => n.Spec.Seed && !n.Process.HasExited && n.Spec.Name != spec.Name).Select(n => Contact(n.Index, n.Port)).ToList();
        if (spec.Seed) seeds.Insert(0, Contact(i, p));
        if (seeds.Count == 0) seeds = _nodes.Values.Where(n => !n.Process.HasExited && n.Spec.Name != spec.Name).Select(n => Contact(n.Index, n.Port)).ToList();
        var args = new List<string> { "node", "--roles", spec.Roles, "--port", p.ToString(CultureInfo.InvariantCulture), "--config", _nodeConfigFile,
            "--set", $"akka.remote.dot-netty.tcp.hostname={HostOf(i)}" };
        foreach (var seed in seeds) args.AddRange(["--seed", seed]);
        var process = Track(ChaosProcess.Start(spec.Name, args, Path.Combine(_folder, $"{spec.Name}-{++_incarnations}.log"),
            new Dictionary<string, string>(), _net?.Exec(i), spec.Cpus));
        _nodes[spec.Name] = (spec, i, p, process);
        if (waitUp) WaitUp(spec.Name);
    }

    private const string Loopback = "127.0.0.1", ClientName = "client";

    /// <summary>Where this process, the client and the database are reached: loopback, or the bridge of the namespaces.</summary>
    private string Host => _net?.BridgeAddress ?? Loopback;

    /// <summary>Node <paramref name="index"/>'s address: loopback, or its own in its namespace.</summary>
    private string HostOf(int index) => _net?.AddressOf(index) ?? Loopback;

    /// <summary>A port free on loopback now (the caller binds it a moment later; where that can lose a race, it retries).</summary>
    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void WaitUp(string name)
    {
        var process = _nodes[name].Process;
        // The node's own line (Akka's log says "Remoting started; listening on addresses" before the node has joined).
        if (!process.WaitFor($"kimi node {Contact(_nodes[name].Index, _nodes[name].Port)}: listening on", NodeStartTimeout))
            throw new ScenarioFailedException($"node {name} did not come up within {NodeStartTimeout.TotalMinutes:0} min: {Tail(process.Output)}");
        Say($"{name} ({_nodes[name].Spec.Roles}) is up at {Contact(_nodes[name].Index, _nodes[name].Port)}");
    }

    private string Contact(int index, int port) => $"{HostOf(index)}:{port.ToString(CultureInfo.InvariantCulture)}";

    private IReadOnlyList<ContactPoint> Contacts() =>
        _nodes.Values.Where(n => !n.Process.HasExited).Select(n => ContactPoint.Parse(Contact(n.Index, n.Port))).ToList();

    private string? NameOf(string hostPort) =>
        _nodes.Where(n => Contact(n.Value.Index, n.Value.Port) == hostPort).Select(n => n.Key).FirstOrDefault();

    private ChaosProcess Track(ChaosProcess process)
    {
        _processes.Add(process);
        return process;
    }

    // ---------------------------------------------------------------- asking the cluster

    /// <summary>
    /// The cluster's members and the live entities of each type on each (the shard regions' statistics), as the run
    /// gateway reports them; call after <see cref="Execute"/>, before the scenario is disposed.
    /// </summary>
    public ControlProtocol.ClusterView ClusterView() =>
        _control!.AskAsync(new ControlProtocol.GetClusterView(), "the cluster's members", TimeSpan.FromSeconds(30)).GetAwaiter().GetResult()
            as ControlProtocol.ClusterView ?? throw new ScenarioFailedException("the gateway did not describe the cluster");

    private RunStatus? Status()
    {
        try { return _control!.AskAsync(new GetRunStatus(RunId), "the run's status", TimeSpan.FromSeconds(5)).GetAwaiter().GetResult() as RunStatus; }
        catch (ControlException) { return null; }
    }

    private PlacementProtocol.RunPlacement Placement()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                if (_control!.AskAsync(new PlacementProtocol.GetRunPlacement(RunId), "the run's placement", TimeSpan.FromSeconds(5)).GetAwaiter().GetResult()
                    is PlacementProtocol.RunPlacement p && p.Current.Count > 0) return p;
            }
            catch (ControlException) when (DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow > deadline) throw new ScenarioFailedException($"run {RunId} did not say where its entities are");
            Thread.Sleep(StatusPoll);
        }
    }

    private Config ClientConfig() => ConfigurationFactory.ParseString(
        $"kimi.console {{ connect-timeout = 30s, request-timeout = 30s, hostname = {Host} }}");

    // ---------------------------------------------------------------- configuration

    /// <summary>
    /// What every node of the scenario shares: the PostgreSQL journal (its connection string travels in the environment,
    /// never in the file), one checkpoint folder, one generator slot, a failure detector and resolver quick enough for a
    /// test, the scenario's faults.
    /// </summary>
    private string WriteNodeConfig()
    {
        var path = Path.Combine(_folder, "node.conf");
        File.WriteAllText(path, $$"""
            # Written by kimi chaos for the nodes of scenario {{_scenario.Name}}.
            {{PostgresJournal}}
            kimi.persistence.checkpoint-dir = {{JsonSerializer.Serialize(Path.Combine(_folder, "checkpoints"))}}
            # A node may host the trainer and the generator: two workers on its one CPU "device".
            kimi.workers { threads = 1, start-timeout = 180s, slots-per-device = 4 }
            kimi.cluster {
              # One generator: a worker process fewer to start on a small machine (the scenario is about the Run).
              rollout-slots = 1
              up-timeout = 120s
              attach-timeout = 30s
              resend-after = 10s
              persistence-backoff { min = 500ms, max = 5s }
            }
            akka.cluster {
              failure-detector.acceptable-heartbeat-pause = 5s
              split-brain-resolver.stable-after = 8s
            }
            {{_scenario.NodeConfig}}
            """);
        return path;
    }

    /// <summary>The journal on PostgreSQL, at the database of KIMI_PERSISTENCE_CONNECTION_STRING.</summary>
    private const string PostgresJournal = "kimi.persistence.provider = postgres";

    private string WriteRunConfig()
    {
        var path = Path.Combine(_folder, "run.conf");
        File.WriteAllText(path, (_size == ChaosSize.Smoke ? "# the smoke preset, as it is\n" : """
            # A CI-sized run: a 2-layer model, 4 iterations of 4 prompts x 4 samples.
            kimi {
              run.iterations = 4
              model { hidden-size = 32, intermediate-size = 64, layers = 2, attention-heads = 4, kv-heads = 2, max-positions = 128 }
              tasks { families = [sum], train-per-level = 40, heldout-per-level = 6 }
              sft { steps = 8, sequences-per-step = 16, pack-length = 64 }
              rollout { prompts-per-iteration = 4, samples-per-prompt = 4, max-response-tokens = 32 }
              optimization.epochs = 1
              eval { every-iterations = 0, max-response-tokens = 32, samples-per-prompt = 2 }
            }

            """) + _scenario.RunConfig);
        return path;
    }

    private Config RunConfig(string runConfig) =>
        KimiConfigLoader.Load(_size == ChaosSize.Smoke ? "smoke" : null, [runConfig], [], TrainCommand.NodeLayers);

    // ---------------------------------------------------------------- the audit

    /// <summary>The exactly-once audit and the committed weight versions, read from the journal by a local ActorSystem.</summary>
    private (RunAuditReport Audit, IReadOnlyList<long> Versions) Audit()
    {
        var config = ConfigurationFactory.ParseString(PostgresJournal + "\nakka.actor.provider = local")
            .WithFallback(KimiConfigLoader.Load(null, [], [], TrainCommand.NodeLayers));
        var system = ClusterBootstrap.Create("kimi-chaos-audit", config);
        try
        {
            // The Run's own events first: the audit shuts its stream machinery down when it is done.
            var journal = ReadJournal(system);
            var materializer = system.Materializer(namePrefix: "kimi-chaos");
            var events = journal.CurrentEventsByPersistenceId(EntityIds.RunPersistenceId(RunId), 0, long.MaxValue)
                .RunWith(Sink.Seq<EventEnvelope>(), materializer).WaitAsync(TimeSpan.FromMinutes(2)).GetAwaiter().GetResult();
            var audit = RunAuditReport.AuditAsync(system, RunId).WaitAsync(TimeSpan.FromMinutes(5)).GetAwaiter().GetResult();
            var versions = events.Select(e => e.Event).OfType<IterationCommittedV1>()
                .Select(e => ((IterationCommitted)JournalMapper.FromJournal(e)).WeightVersion).ToList();
            Say($"audit: {audit.CommittedIterations} iterations committed, {audit.Judged} judged, {audit.Trained} trained, " +
                $"lost {audit.Lost.Count}, duplicated {audit.Duplicated.Count}, unjudged {audit.Unjudged.Count}; versions {string.Join(",", versions)}");
            return (audit, versions);
        }
        finally { system.Terminate().Wait(TimeSpan.FromSeconds(10)); }
    }

    /// <summary>
    /// What nodes log when the run recovers: a session started again after a worker entity's node went, a Run entity that
    /// continued its run after it was started again (another node, or after a journal failure), a worker process replaced.
    /// </summary>
    private static readonly string[] RecoveryMarkers = ["the session starts again from iteration", "while active; continuing from iteration", WorkerRestartMarker];

    /// <summary>Akka.Persistence's lines for a failed journal write or recovery (the entity stops; its back-off supervisor restarts it).</summary>
    private static readonly string[] PersistenceFailureMarkers = ["] Persistence failure when replaying events for persistenceId [", "] Failed to persist event type ["];

    /// <summary>What a node logs when its supervisor replaces a failed worker (SupervisedWorker: "failed (...); restart N in ...").</summary>
    private const string WorkerRestartMarker = "); restart ";

    /// <summary>The read journal; its start asks the database within 5 s, which a loaded machine's first connection can miss.</summary>
    private static SqlReadJournal ReadJournal(Akka.Actor.ActorSystem system)
    {
        for (int attempt = 1; ; attempt++)
        {
            try { return PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlPersistence.QueryConfigPath); }
            catch (AggregateException e) when (attempt < 5 && e.InnerException is Akka.Actor.AskTimeoutException) { Thread.Sleep(1000); }
        }
    }

    private static RunId? RunIdIn(string output) =>
        Regex.Match(output, @"^run (\S+): ", RegexOptions.Multiline) is { Success: true } m && RunId.TryParse(m.Groups[1].Value, out var id, out _) ? id : null;

    /// <summary>
    /// Injections a node reported: its own line (an entity's fault: the marker starts the line) or one of its worker
    /// processes' it relayed ("[worker#n] " before the marker). The marker quoted inside another message (the warning that
    /// a worker failed, with the process's last output) is not another injection.
    /// </summary>
    private static int InjectionLines(string text) =>
        text.Split('\n').Count(l => l.StartsWith(FaultRegistry.Marker, StringComparison.Ordinal) || l.Contains("] " + FaultRegistry.Marker, StringComparison.Ordinal));

    private static int CountLines(string text, string marker) =>
        text.Split('\n').Count(l => l.Contains(marker, StringComparison.Ordinal));

    private static string Tail(string text) => string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(8));

    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _control?.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
        // Nodes leave in order where they can; whatever is left is killed.
        foreach (var p in _processes.Where(p => !p.HasExited)) p.Signal(ChaosProcess.SigTerm);
        foreach (var p in _processes) { p.Stop(TimeSpan.FromSeconds(30)); p.Dispose(); }
        Environment.SetEnvironmentVariable(PersistenceProvider.ConnectionStringVariable, _server);
        _database?.Dispose();
        _postgres?.Dispose();
        _net?.Dispose();
    }
}
