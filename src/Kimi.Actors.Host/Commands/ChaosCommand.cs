using System.CommandLine;
using System.Runtime.InteropServices;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Chaos;

namespace Kimi.Actors.Host.Commands;

/// <summary>
/// <c>kimi chaos --scenario NAME --json FILE</c>: a real multi-process cluster on this machine (a PostgreSQL journal in a
/// database of its own on the server of KIMI_PERSISTENCE_CONNECTION_STRING, <c>kimi node</c> processes on loopback), a
/// training run submitted to it, the scenario's faults while it runs, and the exactly-once audit. Exit 0 when the run completed, the fault fired and nothing was
/// lost or doubled; 1 otherwise, or when the scenario cannot run on this machine (the message and the report say why).
/// </summary>
public static class ChaosCommand
{
    public sealed record Arguments(string Scenario, string Json, string Size, string? Work, bool Keep, int TimeoutMinutes);

    public static Command Create()
    {
        var scenario = CliOptions.Text("--scenario", "NAME", $"the scenario: {ChaosScenarios.Names}",
            name => ChaosScenarios.Find(name) is null ? $"unknown scenario (scenarios: {ChaosScenarios.Names})" : null).Required();
        var json = CliOptions.Text("--json", "FILE", "where the report goes (JSON)").Required();
        var size = CliOptions.Text("--size", "SIZE", "the training run: tiny (a 2-layer model, 4 iterations: CI) or smoke (the smoke preset)", "smoke",
            s => s is "tiny" or "smoke" ? null : "expected tiny or smoke");
        var work = CliOptions.Text("--work", "DIR", "the scenario's folder (database, checkpoints, logs; default: a new folder under the temp folder)");
        var keep = new Option<bool>("--keep") { Description = "keep the scenario's folder (logs of every node) afterwards; kept anyway when it fails" };
        var timeout = CliOptions.Int("--timeout", "MINUTES", "how long the run may take after it was submitted", min: 1, defaultValue: 45);
        var command = new Command("chaos", "a multi-process cluster on this machine, a training run, injected faults, and the exactly-once audit")
        {
            scenario, json, size, work, keep, timeout,
        };
        command.SetAction(r => Run(new Arguments(r.GetValue(scenario)!, r.GetValue(json)!, r.GetValue(size)!, r.GetValue(work), r.GetValue(keep),
            r.GetValue(timeout)), r.InvocationConfiguration.Output, r.InvocationConfiguration.Error));
        return command;
    }

    public static int Run(Arguments args, TextWriter stdout, TextWriter stderr)
    {
        var scenario = ChaosScenarios.Find(args.Scenario)!;
        var size = args.Size == "tiny" ? ChaosSize.Tiny : ChaosSize.Smoke;
        var folder = Path.GetFullPath(args.Work ?? Path.Combine(Path.GetTempPath(), $"kimi-chaos-{scenario.Name}-{Guid.NewGuid():N}"[..40]));
        stderr.WriteLine($"kimi chaos {scenario.Name}: {scenario.Summary}");
        var server = Environment.GetEnvironmentVariable(PersistenceProvider.ConnectionStringVariable);
        if (string.IsNullOrWhiteSpace(server))
        {
            var why = $"{PersistenceProvider.ConnectionStringVariable} is not set: the scenario needs a PostgreSQL server whose role may create " +
                "databases (export KIMI_PERSISTENCE_CONNECTION_STRING=$(.ci/postgres.sh) starts one on loopback)";
            stderr.WriteLine($"kimi: chaos: scenario {scenario.Name} cannot run on this machine: {why}");
            new ChaosReport { Scenario = scenario.Name, Unavailable = why }.Write(args.Json);
            return CliProgram.ExitFailed;
        }
        ChaosReport report;
        var chaos = new ChaosRun(scenario, size, folder, stderr, TimeSpan.FromMinutes(args.TimeoutMinutes), server);
        // Interrupted, the scenario still stops what it started (nodes, their workers, its database).
        void Interrupt(PosixSignalContext signal)
        {
            signal.Cancel = true;
            stderr.WriteLine($"kimi: chaos: {signal.Signal}: stopping the scenario's processes (logs in {folder})");
            chaos.Dispose();
            Environment.Exit(signal.Signal == PosixSignal.SIGINT ? CliProgram.ExitInterrupted : CliProgram.ExitTerminated);
        }
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
        try
        {
            report = chaos.Execute();
        }
        catch (ScenarioUnavailableException e)
        {
            stderr.WriteLine($"kimi: chaos: scenario {scenario.Name} cannot run on this machine: {e.Message}");
            new ChaosReport { Scenario = scenario.Name, Unavailable = e.Message }.Write(args.Json);
            return CliProgram.ExitFailed;
        }
        catch (ScenarioFailedException e)
        {
            stderr.WriteLine($"kimi: chaos: scenario {scenario.Name} failed: {e.Message} (logs in {folder})");
            new ChaosReport { Scenario = scenario.Name, Error = e.Message }.Write(args.Json);
            return CliProgram.ExitFailed;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The harness itself went wrong: the report says so, the trace is for whoever fixes it.
            stderr.WriteLine($"kimi: chaos: scenario {scenario.Name} stopped by an error of its own (logs in {folder}): {e}");
            new ChaosReport { Scenario = scenario.Name, Error = $"{e.GetType().Name}: {e.Message}" }.Write(args.Json);
            return CliProgram.ExitFailed;
        }
        finally { chaos.Dispose(); }

        report.Write(args.Json);
        stdout.WriteLine($"{scenario.Name}: completed {report.Completed}, faults injected {report.FaultsInjected}, recoveries {report.Recoveries}, " +
            $"groups {report.GroupsTrained}/{report.GroupsExpected}, lost {report.Lost}, duplicated {report.Duplicated}, " +
            $"versions {string.Join(",", report.WeightVersions)}, {report.WallSeconds:0} s, final accuracy {report.FinalAccuracy?.ToString("F3") ?? "-"}");
        if (report.Scale is { } scale) stdout.WriteLine($"{scenario.Name}: {scale}");
        if (report.Passed && !args.Keep)
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        else stdout.WriteLine($"logs: {folder}");
        return report.Passed ? CliProgram.ExitOk : CliProgram.ExitFailed;
    }
}
