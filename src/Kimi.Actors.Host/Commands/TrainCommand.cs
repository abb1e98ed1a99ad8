using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Node;
using Kimi.Actors.Cluster.Prompt;
using Kimi.Actors.Cluster.Run;
using Kimi.Actors.Cluster.Workers;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Cli;
using Kimi.Actors.Cluster.Configuration;
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
    public static readonly string[] NodeLayers = ["hocon/workers.conf", "hocon/akka.conf", "hocon/persistence.conf", "hocon/local-node.conf"];

    /// <summary>What <c>kimi train</c> was given.</summary>
    /// <param name="Settings"><c>--set key=value</c> overrides, in order.</param>
    public sealed record Arguments(string? Preset, IReadOnlyList<string> ConfigFiles, IReadOnlyList<string> Settings, string? Out,
        string? Resume, int? Iterations, long? Seed, string? Device);

    public static Command Create()
    {
        var preset = CliOptions.Text("--preset", "NAME", $"a preset from hocon/presets ({string.Join(", ", KimiConfigLoader.Presets)})");
        var config = CliOptions.Repeated("--config", "FILE", "a HOCON file layered over the preset (repeatable, later wins)");
        var set = CliOptions.Repeated("--set", "key=value",
            "one setting over everything else (repeatable), e.g. --set rollout.temperature=0.8 (a key without kimi. or akka. is under kimi.)");
        var output = CliOptions.Text("--out", "DIR", "the run folder (default: <kimi.run.runs-dir>/<run id>)");
        var resume = CliOptions.Id("--resume", "RUN_ID",
            "continue this run from its last committed iteration, with its journaled configuration (same database); " +
            $"a run id is {CommandLineIds.Allowed}, at most {CommandLineIds.MaxRunIdLength} characters", CommandLineIds.MaxRunIdLength);
        var iterations = CliOptions.Int("--iterations", "N", "RL iterations (kimi.run.iterations); with --resume, N more", min: 0);
        var seed = CliOptions.Long("--seed", "N", "the run's seed (kimi.run.seed)", min: 0);
        var device = CliOptions.Device("cpu, cuda, cuda:N or auto: kimi.run.device and, except auto, the workers' kimi.workers.devices", allowAuto: true);
        var command = new Command("train", "warm-up SFT, then RL on the built-in tasks (or the prompt sets of kimi.tasks.*-file); " +
            "writes the run folder (summary.json, metrics.jsonl, charts, checkpoints). With --resume RUN_ID, continues that run.")
        {
            preset, config, set, output, resume, iterations, seed, device,
        };
        command.SetAction(r => Run(
            new Arguments(r.GetValue(preset), r.GetValue(config)!, r.GetValue(set)!, r.GetValue(output), r.GetValue(resume),
                r.GetValue(iterations), r.GetValue(seed), r.GetValue(device)),
            r.InvocationConfiguration.Output, r.InvocationConfiguration.Error));
        return command;
    }

    public static int Run(Arguments args, TextWriter stdout, TextWriter stderr)
    {
        var (preset, files, outDir, resume, iterations) = (args.Preset, args.ConfigFiles, args.Out, args.Resume, args.Iterations);
        var overrides = args.Settings.ToList();
        if (iterations is { } n && resume is null) overrides.Add($"kimi.run.iterations={n}");
        if (args.Seed is { } seed) overrides.Add($"kimi.run.seed={seed}");
        if (args.Device is { } device)
        {
            overrides.Add($"kimi.run.device={device}");
            // The cluster engine's GPU workers take their devices from the node's DevicePool (auto keeps its list).
            if (device != "auto") overrides.Add($"kimi.workers.devices=[{JsonSerializer.Serialize(device)}]");
        }
        bool setsIdentity = args.Settings.Select(KimiConfigLoader.SplitOverride).Any(s => s.Key is "kimi.run.seed" or "kimi.run.device");
        if (resume is not null && (preset is not null || args.Seed is not null || args.Device is not null || setsIdentity))
            throw new UsageException("train: --resume continues a run with its own configuration; --preset, --seed and --device do not apply");

        // A resumed run keeps its journaled configuration: its --set values are hyperparameter changes the Run validates,
        // except settings of this process (akka.*, kimi.persistence.*, kimi.workers.*, ..., kimi.run.runs-dir).
        var nodeOverrides = resume is null ? overrides : overrides.Where(IsNodeSetting).ToList();
        var runChanges = resume is null ? [] : overrides.Except(nodeOverrides).Select(KimiConfigLoader.SplitOverride).ToList();
        var config = KimiConfigLoader.Load(preset, files, nodeOverrides, NodeLayers);
        var options = RunOptionsBinder.Bind(config);
        var engine = config.GetString("kimi.run.engine");
        if (engine is not ("cluster" or "local")) throw new ConfigException($"kimi.run.engine = {engine}: expected cluster or local");
        if (resume is not null && engine != "cluster")
            throw new UsageException("train: --resume needs the cluster engine (kimi.run.engine = cluster)");
        if (engine == "cluster")
        {
            ValidateNode(config);
            if (resume is not null) RefuseWithoutJournal(config, resume);
            // A database that cannot be used is refused before the run folder is created; the file is never changed.
            ClusterBootstrap.CheckDatabases(config);
        }
        RunId runId;
        if (resume is null) runId = RunId.New(DateTime.UtcNow, Random.Shared);
        else if (!RunId.TryParse(resume, out runId, out var problem)) throw new UsageException($"train: --resume: {problem}");
        options = options with { RunId = runId.Value };
        var folder = RunFolder.Prepare(outDir ?? Path.Combine(config.GetString("kimi.run.runs-dir"), runId.Value));
        TorchRuntime.SetThreads(options.Threads);

        return engine switch
        {
            "cluster" => RunOnCluster(config, options, runId, folder, preset, resume is not null, iterations, runChanges, stdout, stderr),
            _ => RunLocally(options, folder, preset, stdout, stderr),
        };
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
    /// hocon/ files do not define is a typo (the settings classes would ignore it).
    /// </summary>
    private static void ValidateNode(Config config)
    {
        var shipped = KimiConfigLoader.Load(null, [], [], NodeLayers);
        new ConfigReader(config, "kimi").RejectKeysNotIn(shipped, RunOptionsBinder.NodeSections, "workers.compute-dispatcher");
        try
        {
            WorkerSettings.FromConfig(config);
            RunNodeSettings.FromConfig(config);
            PromptSettings.FromConfig(config);
        }
        catch (Exception e) when (e is ArgumentException or ConfigurationException) { throw new ConfigException(e.Message); }
    }

    private static int RunOnCluster(Config config, RunOptions options, RunId runId, RunFolder folder, string? preset, bool resume, int? iterations,
        IReadOnlyList<(string Key, string Value)> runChanges, TextWriter stdout, TextWriter stderr)
    {
        var wall = Stopwatch.StartNew();
        stderr.WriteLine(!resume
            ? $"run {options.RunId}: one-node cluster, writing {folder.Path}"
            : $"run {options.RunId}: resuming on a one-node cluster, writing {folder.Path}");
        using var output = new RunOutputWriter(folder);
        using var progress = new ConsoleProgress(stderr);
        var observer = new ObserverGroup(progress, output);

        var outcome = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Ctrl-C or SIGTERM stops the run here: the node shuts down cleanly and the journal keeps every committed
        // iteration (the one in flight is run again on resume). A second signal ends the process at once.
        void Interrupt(PosixSignalContext signal)
        {
            if (outcome.TrySetResult(new Interrupted(signal.Signal))) signal.Cancel = true;
        }
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
        object result;
        var node = KimiNode.StartAsync(config).GetAwaiter().GetResult();
        try
        {
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
            node.System.ActorOf(RunClient.Props(node.Runs, runId, commands, observer, folder, options.Sft.Steps, outcome), "run-client");
            result = outcome.Task.GetAwaiter().GetResult();
            if (result is RunFinished done)
            {
                // Prompt success rates from the journal, while the node (and its read journal) is still up.
                PromptStatsFile.WriteFromJournal(node.System, runId, done.EndIteration, folder.File(PromptStatsFile.FileName));
                if (resume)
                    PromptStatsFile.WriteFromJournal(node.System, runId, done.StartIteration, folder.File(PromptStatsFile.StartFileName));
            }
        }
        finally
        {
            node.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        progress.Dispose();   // a live bar still drawing (a stopped run) would draw over the lines below

        switch (result)
        {
            case Interrupted i:
                stderr.WriteLine($"kimi: run {options.RunId} interrupted ({i.Signal}); its committed iterations are kept; " +
                    $"continue it with: kimi train --resume {options.RunId}");
                return i.Signal == PosixSignal.SIGINT ? 130 : 143;
            // The Run entity answers from the journal it recovered: the message says which database that was.
            case RunRejected r: throw new UsageException($"run {r.RunId}: {r.Reason} ({ClusterBootstrap.Journal(config).Description})");
            case RunFailed f:
                stderr.WriteLine($"kimi: run {runId} failed: {f.Reason}");
                stderr.WriteLine($"kimi: its committed iterations are kept; continue it with: kimi train --resume {runId}");
                return 1;
        }
        var finished = (RunFinished)result;
        output.WriteCharts();
        var sft = finished.Sft ?? finished.Final;
        var summary = Summary(options, preset, "cluster", sft, finished.Final, wall.Elapsed.TotalSeconds) with
        {
            StartIteration = finished.StartIteration,
            Iterations = finished.EndIteration - finished.StartIteration,
            ActorOverheadFraction = finished.MeanOverheadFraction,
            Parameters = finished.Parameters,
            Device = finished.Device,
            SftSeconds = finished.SftSeconds,
            RlSeconds = output.RlSeconds,
            Checkpoint = folder.File("checkpoints/final"),
        };
        summary.Write(folder.File("summary.json"));
        HeldOutTable.Write(stdout, sft, finished.Final);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"iterations {finished.StartIteration}..{finished.EndIteration}, actor overhead {finished.MeanOverheadFraction:P1} of iteration time"));
        stdout.WriteLine($"run {options.RunId} written to {folder.Path}");
        return 0;
    }

    /// <summary>The outcome of a cluster run stopped by a signal before it finished.</summary>
    private sealed record Interrupted(PosixSignal Signal);

    private static int RunLocally(RunOptions options, RunFolder folder, string? preset, TextWriter stdout, TextWriter stderr)
    {
        Device dev;
        try { dev = TorchRuntime.ResolveDevice(options.Device); }
        catch (ArgumentException e) { throw new ConfigException($"kimi.run.device = {options.Device}: {e.Message}"); }
        var tokenizer = options.Tokenizer.Create();
        TaskSuite tasks;
        try { tasks = TaskSuite.Create(options.Tasks, options.Seed, tokenizer); }
        catch (ArgumentException e) { throw new ConfigException("kimi.tasks: " + e.Message); }

        using var policy = options.InitCheckpoint is { } init ? PolicyCheckpoint.Load(init, dev) : new LlamaForCausalLM(options.Model, options.Seed);
        policy.to(dev);
        stderr.WriteLine($"run {options.RunId}: {policy.ParameterCount():N0}-parameter policy on {dev}, {tasks.Train.Count} training and {tasks.HeldOut.Count} held-out prompts, writing {folder.Path}");

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
            Iterations = options.Iterations, ActorOverheadFraction = result.Finished.MeanOverheadFraction, Parameters = policy.ParameterCount(), Device = dev.ToString(), Checkpoint = checkpoint,
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
        SftByDifficulty = RunSummary.ByDifficulty(sft.Primary), RlByDifficulty = RunSummary.ByDifficulty(rl.Primary),
        SftByDomain = RunSummary.ByDomain(sft.Primary), RlByDomain = RunSummary.ByDomain(rl.Primary), WallSeconds = wallSeconds,
        SftByModality = RunSummary.ByModality(sft.Primary), RlByModality = RunSummary.ByModality(rl.Primary),
        HeldOutByModality = RunSummary.CountByModality(rl.Primary),
    };
}
