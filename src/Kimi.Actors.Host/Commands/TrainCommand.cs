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
using Kimi.Actors.Host.Cli;
using Kimi.Actors.Host.Configuration;
using Kimi.Actors.Host.Output;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
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

    public static int Run(ArgumentList args, TextWriter stdout, TextWriter stderr)
    {
        var preset = args.Value("--preset");
        var files = args.Values("--config");
        var overrides = args.Values("--set").ToList();
        var outDir = args.Value("--out");
        var resume = args.Value("--resume");
        int? iterations = args.Int("--iterations");
        if (iterations is { } n && resume is null) overrides.Add($"kimi.run.iterations={n}");
        if (args.Value("--seed") is { } seed) overrides.Add($"kimi.run.seed={seed}");
        if (args.Value("--device") is { } device)
        {
            overrides.Add($"kimi.run.device={device}");
            // The cluster engine's GPU workers take their devices from the node's DevicePool (auto keeps its list).
            if (device != "auto") overrides.Add($"kimi.workers.devices=[{JsonSerializer.Serialize(device)}]");
        }
        args.RejectRest();
        if (resume is not null && (preset is not null || overrides.Any(o => o.StartsWith("kimi.run.seed") || o.StartsWith("kimi.run.device"))))
            throw new UsageException("train: --resume continues a run with its own configuration; --preset, --seed and --device do not apply");

        // A resumed run keeps its journaled configuration: its --set values are hyperparameter changes the Run validates,
        // except settings of this process (akka.*, kimi.persistence.*, kimi.workers.*, ..., kimi.run.runs-dir).
        var nodeOverrides = resume is null ? overrides : overrides.Where(IsNodeSetting).ToList();
        var runChanges = resume is null ? [] : overrides.Except(nodeOverrides).Select(KimiConfigLoader.SplitOverride).ToList();
        var config = KimiConfigLoader.Load(preset, files, nodeOverrides, NodeLayers);
        var tokenizer = CharTokenizer.Instance;
        var options = RunOptionsBinder.Bind(config, tokenizer);
        var engine = config.GetString("kimi.run.engine");
        if (engine is not ("cluster" or "local")) throw new ConfigException($"kimi.run.engine = {engine}: expected cluster or local");
        if (resume is not null && engine != "cluster")
            throw new UsageException("train: --resume needs the cluster engine (kimi.run.engine = cluster)");
        if (engine == "cluster")
        {
            ValidateNode(config);
            // A database that cannot be used is refused before the run folder is created; the file is never changed.
            ClusterBootstrap.CheckDatabases(config);
        }
        var runId = resume ?? $"run-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Random.Shared.Next(0x10000):x4}";
        options = options with { RunId = runId };
        var folder = RunFolder.Prepare(outDir ?? Path.Combine(config.GetString("kimi.run.runs-dir"), runId));
        TorchRuntime.SetThreads(options.Threads);

        return engine switch
        {
            "cluster" => RunOnCluster(config, options, folder, preset, resume, iterations, runChanges, stdout, stderr),
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

    private static int RunOnCluster(Config config, RunOptions options, RunFolder folder, string? preset, string? resume, int? iterations,
        IReadOnlyList<(string Key, string Value)> runChanges, TextWriter stdout, TextWriter stderr)
    {
        var wall = Stopwatch.StartNew();
        stderr.WriteLine(resume is null
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
            if (resume is null)
            {
                commands.Add(new StartRun(options.RunId, RunOptionsBinder.RunConfigHocon(config)));
            }
            else
            {
                foreach (var (key, value) in runChanges) commands.Add(new SetHyperparameter(options.RunId, key, value));
                commands.Add(new ContinueRun(options.RunId, iterations));
            }
            node.System.ActorOf(RunClient.Props(node.Runs, options.RunId, commands, observer, folder, options.Sft.Steps, outcome), "run-client");
            result = outcome.Task.GetAwaiter().GetResult();
            if (result is RunFinished done)
            {
                // Prompt success rates from the journal, while the node (and its read journal) is still up.
                PromptStatsFile.WriteFromJournal(node.System, done.RunId, done.EndIteration, folder.File(PromptStatsFile.FileName));
                if (resume is not null)
                    PromptStatsFile.WriteFromJournal(node.System, done.RunId, done.StartIteration, folder.File(PromptStatsFile.StartFileName));
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
            case RunRejected r: throw new UsageException($"run {r.RunId}: {r.Reason}");
            case RunFailed f:
                stderr.WriteLine($"kimi: run {f.RunId} failed: {f.Reason}");
                stderr.WriteLine($"kimi: its committed iterations are kept; continue it with: kimi train --resume {f.RunId}");
                return 1;
        }
        var finished = (RunFinished)result;
        output.WriteCharts();
        var sft = finished.Sft ?? finished.Final;
        var summary = Summary(options, preset, "cluster", sft, finished.Final, wall.Elapsed.TotalSeconds) with
        {
            StartIteration = finished.StartIteration,
            Iterations = finished.EndIteration - finished.StartIteration,
            ActorOverheadFraction = finished.MeanActorOverheadFraction,
            Parameters = finished.Parameters,
            Device = finished.Device,
            SftSeconds = finished.SftSeconds,
            RlSeconds = output.RlSeconds,
            Checkpoint = folder.File("checkpoints/final"),
        };
        summary.Write(folder.File("summary.json"));
        HeldOutTable.Write(stdout, sft, finished.Final);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"iterations {finished.StartIteration}..{finished.EndIteration}, actor overhead {finished.MeanActorOverheadFraction:P1} of iteration time"));
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
        TaskSuite tasks;
        try { tasks = TaskSuite.Create(options.Tasks, options.Seed, CharTokenizer.Instance); }
        catch (ArgumentException e) { throw new ConfigException("kimi.tasks: " + e.Message); }

        using var policy = options.InitCheckpoint is { } init ? PolicyCheckpoint.Load(init, dev) : new LlamaForCausalLM(options.Model, options.Seed);
        policy.to(dev);
        stderr.WriteLine($"run {options.RunId}: {policy.ParameterCount():N0}-parameter policy on {dev}, {tasks.Train.Count} training and {tasks.HeldOut.Count} held-out prompts, writing {folder.Path}");

        var wall = Stopwatch.StartNew();
        using var output = new RunOutputWriter(folder);
        using var progress = new ConsoleProgress(stderr);
        var loop = new LocalTrainingLoop(options, policy, tasks, CharTokenizer.Instance, new ObserverGroup(progress, output));
        var result = loop.Run();
        output.WriteCharts();

        var checkpoint = folder.File("checkpoints/final");
        PolicyCheckpoint.Save(checkpoint, policy, new Dictionary<string, string> { ["run_id"] = options.RunId, ["iterations"] = options.Iterations.ToString(CultureInfo.InvariantCulture) });
        var summary = Summary(options, preset, "local", result.Sft, result.Rl, wall.Elapsed.TotalSeconds) with
        {
            Iterations = options.Iterations, Parameters = policy.ParameterCount(), Device = dev.ToString(), Checkpoint = checkpoint,
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
        RlByDomain = RunSummary.ByDomain(rl.Primary), WallSeconds = wallSeconds,
    };
}
