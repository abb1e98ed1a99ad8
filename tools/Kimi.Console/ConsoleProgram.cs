using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Akka.Actor;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.Management.Control;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Reporting;
using Kimi.Actors.Rl.Runs;
using Kimi.Actors.Rl.Training;
using Kimi.Console.Interactive;
using static Kimi.Actors.Cluster.Management.Control.ControlProtocol;
using static Kimi.Actors.Cluster.Protocol.RunControlProtocol;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Console;

/// <summary>
/// <c>kimi-console</c>: one-shot commands (<c>kimi-console --contact HOST:PORT status --json</c>) and, without a command,
/// the interactive mode, where the same commands are typed at a prompt over one connection. Every command reaches the
/// cluster through <see cref="ControlClient"/> (a cluster client, never a member).
/// </summary>
public static class ConsoleProgram
{
    /// <summary>The commands, in the order help lists them (the interactive mode's greeting names them).</summary>
    public static readonly string[] CommandNames =
        ["runs", "status", "pause", "resume", "stop", "checkpoint", "set", "get", "history", "prompts", "watch", "faults", "inject"];

    public const string Notes = """
        Contact points: --contact HOST:PORT (repeatable; a node's akka.remote.dot-netty.tcp address, or the line kimi train --serve
          prints), else kimi.console.contacts of --config FILE. With one run on the cluster --run may be left out.
        Without a command: the interactive mode (commands at a prompt over one connection, help COMMAND, exit).
        Exit codes: 0 done, 1 the watched run failed, 2 refused (bad argument, unknown run or key, value out of range: the message
          says what is allowed), 3 the cluster did not answer in time (the message names the contact points).
        """;

    /// <summary>Runs one command line; without a command, the interactive mode reading <paramref name="stdin"/>.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, TextReader stdin) =>
        Run(args, stdout, stderr, new PlainLineReader(stdin, stderr));

    /// <summary>Runs one command line; without a command, the interactive mode reading lines from <paramref name="lines"/>.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, ILineReader lines) =>
        Program(new Invoker(Open(stdout, stderr), ownsSession: true, stdout, stderr),
            parsed => Interactive(parsed, stdout, stderr, lines)).Run(args, stdout, stderr);

    /// <summary>What Tab completes in the interactive mode: commands, hyperparameter names after set/get/history, options.</summary>
    public static CompletionWords Completions { get; } = new(
        [.. CommandNames, "help", "exit"],
        new Dictionary<string, IReadOnlyList<string>>
        {
            ["set"] = [.. Tunables.All.Select(t => t.Name)], ["get"] = [.. Tunables.All.Select(t => t.Name)],
            ["history"] = [.. Tunables.All.Select(t => t.Name)], ["help"] = CommandNames,
        },
        ["--json", "--run", "--weakest", "--tag", "--domain", "--clear", "--help"]);

    private static Func<ParseResult, ConsoleSession> Open(TextWriter stdout, TextWriter stderr) => parsed =>
        ConsoleSession.Open(parsed.GetValue<string[]>("--contact") ?? [], parsed.GetValue<string[]>("--config") ?? [], stdout, stderr);

    private static CliProgram Program(Invoker invoker, Func<ParseResult, int>? withoutCommand) => new(
        Invoker.Name, "the researcher console: steer live Kimi.Actors runs through a cluster client (never a cluster member)",
        [
            () => Runs(invoker), () => Status(invoker), () => Control(invoker, "pause", "pause at the next iteration boundary", id => new PauseRun(id)),
            () => Control(invoker, "resume", "resume a paused run", id => new ResumeRun(id)),
            () => Control(invoker, "stop", "finish after the iteration in flight (with the final evaluation)", id => new StopRun(id)),
            () => Checkpoint(invoker), () => Set(invoker), () => Get(invoker), () => History(invoker), () => Prompts(invoker), () => Watch(invoker),
            () => Faults(invoker), () => Inject(invoker),
        ])
    {
        Notes = Notes,
        GlobalOptions =
        [
            () => CliOptions.Repeated("--contact", "HOST:PORT", "a cluster node to reach (repeatable); replaces kimi.console.contacts"),
            () => CliOptions.Repeated("--config", "FILE", "HOCON with kimi.console settings (contacts, timeouts), layered over hocon/console.conf"),
            () => CliOptions.Id("--run", "RUN_ID", "the run a command is about (default: the one active run, or the only run)", maxLength: 64),
            () => new Option<bool>("--json") { Description = "one JSON document per reply (errors: {\"error\", \"allowed\"})" },
        ],
        WithoutCommand = withoutCommand,
    };

    // ------------------------------------------------------------------ commands

    private static Command Runs(Invoker invoker)
    {
        var command = new Command("runs", "every run the cluster's journal holds, with state and iteration");
        command.SetAction(parsed => invoker.Invoke(parsed, async call =>
        {
            var list = await call.Session.AskAsync<RunList>(new ListRuns(), "the list of runs");
            if (call.Json)
                call.Session.WriteJson(new JsonObject
                {
                    ["runs"] = new JsonArray([.. list.Runs.Select(r => (JsonNode)Views.Status(r))]),
                    ["unanswered"] = new JsonArray([.. list.Unanswered.Select(r => (JsonNode)r.Value)]),
                });
            else
            {
                var table = call.Session.Out.NewTable("run", "state", "phase", "iteration", "target", "weight version", "held-out");
                foreach (var r in list.Runs)
                    table.AddTextRow(r.RunId.Value, Views.StateName(r.State), Views.PhaseName(r.Phase), r.Iteration.ToString(), r.TargetIterations.ToString(),
                        r.WeightVersion.ToString(), r.LastAccuracy is { } a ? Views.Number(a) : "");
                call.Session.Out.Write(table);
                if (list.Unanswered.Count > 0)
                    call.Session.Out.WriteLine($"did not answer in time: {string.Join(", ", list.Unanswered)}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Status(Invoker invoker)
    {
        var run = new Argument<string?>("RUN") { Description = "the run (same as --run)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("status", "a run's state, iteration, weight version, last metrics, hyperparameters, and the cluster's nodes") { run };
        command.SetAction(parsed => invoker.Invoke(parsed, async call =>
        {
            var id = await call.Session.RunAsync(parsed.GetValue(run) ?? call.Run);
            var details = await call.Session.AskAsync<RunDetails>(new GetRunDetails(id), $"the status of run {id}");
            var view = await call.Session.AskAsync<ClusterView>(new GetClusterView(), "the cluster's members");
            if (call.Json) call.Session.WriteJson(Views.Details(details, view));
            else Views.WriteDetails(call.Session.Out, details, view);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Control(Invoker invoker, string name, string description, Func<Kimi.Actors.Rl.Identity.RunId, IKimiMessage> message)
    {
        var command = new Command(name, description);
        command.SetAction(parsed => invoker.Invoke(parsed, async call =>
        {
            var id = await call.Session.RunAsync(call.Run);
            var status = await call.Session.AskAsync<RunStatus>(message(id), $"{name} run {id}");
            if (call.Json) call.Session.WriteJson(Views.Status(status));
            else call.Session.Out.WriteLine($"run {id}: {name} accepted; now {Views.StateName(status.State)}" +
                (status.Phase is { } p ? $" ({Views.PhaseName(p)})" : "") + $", {status.Iteration} iterations committed" +
                (name == "pause" && status.State == RunStatusKind.Active ? "; it pauses at the next iteration boundary" : "") +
                (name == "stop" && status.State == RunStatusKind.Active ? "; it finishes after the iteration in flight" : ""));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Checkpoint(Invoker invoker)
    {
        var command = new Command("checkpoint", "keep the run's newest durable checkpoint (the last committed iteration's) from pruning; says where it is");
        command.SetAction(parsed => invoker.Invoke(parsed, async call =>
        {
            var id = await call.Session.RunAsync(call.Run);
            var pinned = await call.Session.AskAsync<CheckpointPinned>(new PinCheckpoint(id), $"a checkpoint of run {id}");
            if (call.Json)
                call.Session.WriteJson(new JsonObject
                {
                    ["run_id"] = id.Value, ["iteration"] = pinned.Iteration, ["weight_version"] = pinned.WeightVersion,
                    ["directory"] = pinned.Directory, ["sha256"] = pinned.Sha256, ["pinned"] = pinned.Pinned, ["note"] = pinned.Note,
                });
            else call.Session.Out.WriteLine($"run {id}: checkpoint of iteration {pinned.Iteration} (weight version {pinned.WeightVersion}) " +
                $"at {pinned.Directory}, sha256 {pinned.Sha256}: {pinned.Note}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Set(Invoker invoker)
    {
        var key = new Argument<string>("KEY") { Description = "a hyperparameter (tau, learning-rate, temperature, ...) or a changeable kimi.* key" };
        var value = new Argument<string>("VALUE") { Description = "the new value; it applies from the next iteration" };
        var command = new Command("set", "change a hyperparameter from the next iteration on (persisted; validated with its allowed range)") { key, value };
        command.SetAction(parsed => invoker.Invoke(parsed, async call =>
        {
            var id = await call.Session.RunAsync(call.Run);
            var accepted = await call.Session.AskAsync<HyperparameterAccepted>(new SetHyperparameter(id, parsed.GetValue(key)!, parsed.GetValue(value)!),
                $"set {parsed.GetValue(key)} on run {id}");
            var name = Tunables.Find(accepted.Key)?.Name ?? accepted.Key;
            if (call.Json)
                call.Session.WriteJson(new JsonObject
                {
                    ["key"] = name, ["config_key"] = accepted.Key,
                    ["value"] = ConsoleSession.ToNode(HyperparameterLog.Typed(accepted.Value)),
                    ["applies_from_iteration"] = accepted.AppliesFromIteration,
                });
            else call.Session.Out.WriteLine($"run {id}: {name} = {accepted.Value} from iteration {accepted.AppliesFromIteration}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Get(Invoker invoker)
    {
        var key = new Argument<string>("KEY") { Description = "a hyperparameter or a changeable kimi.* key" };
        var command = new Command("get", "a hyperparameter's value in force, what it allows, and a change waiting for the next iteration") { key };
        command.SetAction(parsed => invoker.Invoke(parsed, async call =>
        {
            var id = await call.Session.RunAsync(call.Run);
            var v = await call.Session.AskAsync<HyperparameterValue>(new GetHyperparameter(id, parsed.GetValue(key)!), $"get {parsed.GetValue(key)} of run {id}");
            if (call.Json)
                call.Session.WriteJson(new JsonObject
                {
                    ["key"] = v.Name, ["config_key"] = v.Key, ["value"] = ConsoleSession.ToNode(HyperparameterLog.Typed(v.Value)),
                    ["allowed"] = v.Allowed, ["description"] = v.Description, ["pending"] = v.Pending is { } p ? Views.Pending(p) : null,
                });
            else call.Session.Out.WriteLine($"{v.Name} = {v.Value}" + (v.Pending is { } p ? $" ({p.Value} from iteration {p.FromIteration})" : "") +
                $"; allowed: {v.Allowed}" + (v.Description is { } d ? $"; {d}" : ""));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command History(Invoker invoker)
    {
        var key = new Argument<string?>("KEY") { Description = "one hyperparameter (default: every change)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("history", "what was changed, when, and from which iteration on") { key };
        command.SetAction(parsed => invoker.Invoke(parsed, async call =>
        {
            var id = await call.Session.RunAsync(call.Run);
            var history = await call.Session.AskAsync<HyperparameterHistory>(new GetHyperparameterHistory(id, parsed.GetValue(key)), $"the history of run {id}");
            if (call.Json)
                call.Session.WriteJson(new JsonObject
                {
                    ["run_id"] = id.Value,
                    ["changes"] = new JsonArray([.. history.Changes.Select(c => (JsonNode)new JsonObject
                    {
                        ["key"] = c.Name, ["config_key"] = c.Key, ["from"] = c.From, ["to"] = c.To, ["from_iteration"] = c.FromIteration,
                        ["at"] = c.AtUtc?.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    })]),
                });
            else
            {
                var table = call.Session.Out.NewTable("hyperparameter", "from", "to", "from iteration", "changed at (UTC)");
                foreach (var c in history.Changes)
                    table.AddTextRow(c.Name, c.From, c.To, c.FromIteration.ToString(),
                        c.AtUtc?.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) ?? "(not recorded)");
                call.Session.Out.Write(table);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Prompts(Invoker invoker)
    {
        var weakest = CliOptions.Int("--weakest", "N", "the N attempted prompts with the lowest success rate", min: 1, defaultValue: 10);
        var tag = CliOptions.Text("--tag", "TAG", "only prompts with this tag");
        var domain = CliOptions.Text("--domain", "DOMAIN", "only prompts of this domain (arithmetic, code, ...)");
        var command = new Command("prompts", "success rates per prompt, from the run's persisted Prompt entities") { weakest, tag, domain };
        command.SetAction(parsed => invoker.Invoke(parsed, async call =>
        {
            var id = await call.Session.RunAsync(call.Run);
            var w = await call.Session.AskAsync<WeakestPrompts>(new GetWeakestPrompts(id, parsed.GetValue(weakest), parsed.GetValue(tag), parsed.GetValue(domain)),
                $"the weakest prompts of run {id}");
            if (call.Json)
                call.Session.WriteJson(new JsonObject
                {
                    ["run_id"] = id.Value, ["attempted"] = w.Attempted, ["matching"] = w.Matching,
                    ["prompts"] = new JsonArray([.. w.Prompts.Select(p => (JsonNode)new JsonObject
                    {
                        ["id"] = p.Id, ["domain"] = p.Domain, ["difficulty"] = p.Difficulty, ["tags"] = new JsonArray([.. p.Tags.Select(t => (JsonNode)t)]),
                        ["attempts"] = p.Attempts, ["successes"] = p.Successes, ["success_rate"] = p.SuccessRate,
                    })]),
                });
            else
            {
                var table = call.Session.Out.NewTable("prompt", "domain", "difficulty", "tags", "attempts", "successes", "success rate");
                foreach (var p in w.Prompts)
                    table.AddTextRow(p.Id, p.Domain, p.Difficulty.ToString(), string.Join(",", p.Tags), p.Attempts.ToString(), p.Successes.ToString(),
                        Views.Number(p.SuccessRate));
                call.Session.Out.Write(table);
                call.Session.Out.WriteLine($"{w.Attempted} of {w.Matching} matching prompts attempted");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Watch(Invoker invoker)
    {
        var command = new Command("watch", "live metrics of a run, one line (or JSON document) per iteration, until it ends or Ctrl-C " +
            "(first: a line, or {\"type\": \"watching\"}, once the subscription stands)");
        command.SetAction(parsed => invoker.Invoke(parsed, async call =>
        {
            var id = await call.Session.RunAsync(call.Run);
            var client = await call.Session.ClientAsync();
            using var stop = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
            System.Console.CancelKeyPress += onCancel;
            var channel = Channel.CreateUnbounded<object>();
            var forward = client.System.ActorOf(Props.Create(() => new Forwarder(channel.Writer)));
            var watch = client.Watch(id, forward);
            try
            {
                while (true)
                {
                    object item;
                    try { item = await channel.Reader.ReadAsync(stop.Token); }
                    catch (OperationCanceledException) { return ExitCodes.Ok; }
                    var report = item is RunReported r ? r.Report : item;
                    if (call.Json && ReportJson(report) is { } json) call.Session.WriteJson(json);
                    else if (!call.Json && ReportLine(report) is { } line) call.Session.Out.WriteLine(line);
                    switch (report)
                    {
                        case RunFinished: return ExitCodes.Ok;
                        case RunFailed: return ExitCodes.RunFailed;
                        case ControlClient.WatchLost lost: throw new ControlException($"watch of run {id}: {lost.Reason}");
                        case RunRejected rejected: throw new RefusedException($"run {rejected.RunId}: {rejected.Reason}", rejected.Allowed);
                    }
                }
            }
            finally
            {
                System.Console.CancelKeyPress -= onCancel;
                client.System.Stop(watch);
                client.System.Stop(forward);
            }
        }));
        return command;
    }

    private static Command Faults(Invoker invoker)
    {
        var clear = new Option<bool>("--clear") { Description = "first remove every rule injected at run time (configured rules stay)" };
        var command = new Command("faults", "the fault rules in force and how often each fired, per node (where fault injection is enabled)") { clear };
        command.SetAction(parsed => invoker.Invoke(parsed, async call =>
        {
            await RequireFaultInjectionAsync(call.Session);
            if (parsed.GetValue(clear))
                await AskFaultAgentAsync(call.Session, new FaultProtocol.ClearFaults(), "clearing the injected fault rules");
            var faults = await call.Session.AskAsync<ClusterFaults>(new GetFaults(), "the cluster's fault rules and counts");
            if (!faults.Enabled && faults.Nodes.All(n => !n.Enabled)) throw new RefusedException(FaultInjectionOff(call.Session, faults.Node));
            if (call.Json) call.Session.WriteJson(Views.Faults(faults));
            else Views.WriteFaults(call.Session.Out, faults);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command Inject(Invoker invoker)
    {
        var rule = new Argument<string[]>("RULE")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "the rule as KEY=VALUE words (target=reward-judge message=JudgeTrajectories action=drop nth=1) or one HOCON object",
        };
        var command = new Command("inject", "add a fault rule on every member at run time (where fault injection is enabled); faults shows it fire") { rule };
        command.SetAction(parsed => invoker.Invoke(parsed, async call =>
        {
            var parsedRule = FaultRules.Parse(parsed.GetValue(rule)!);
            // An array, not [parsedRule]: a collection expression would build a type of this assembly, which nodes do not have.
            await RequireFaultInjectionAsync(call.Session);
            var injected = await AskFaultAgentAsync(call.Session, new FaultProtocol.InjectFaults(new[] { parsedRule }), $"injecting {parsedRule}");
            if (call.Json)
                call.Session.WriteJson(new JsonObject
                {
                    ["rule"] = parsedRule.ToString(), ["hocon"] = parsedRule.ToHocon(), ["node"] = injected.Node,
                    ["in_force"] = new JsonArray([.. injected.InForce.Select(r => (JsonNode)r.ToString())]),
                });
            else call.Session.Out.WriteLine($"injected on every member: {parsedRule}; {injected.InForce.Count} rule(s) in force on {injected.Node} " +
                "(faults shows how often each fired)");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Refuses at once when the node that answered the console runs without fault injection, naming how to enable it.</summary>
    private static async Task RequireFaultInjectionAsync(ConsoleSession session)
    {
        var client = await session.ClientAsync();
        if (!client.Answered.FaultInjection) throw new RefusedException(FaultInjectionOff(session, client.Answered.Node));
    }

    private static string FaultInjectionOff(ConsoleSession session, string node) =>
        $"fault injection is off on the cluster at {session.Settings.ContactList} (node {node}); enable it where the nodes start: " +
        $"{FaultPlan.ConfigPath}.enabled = on (e.g. kimi train --serve PORT --set {FaultPlan.ConfigPath}.enabled=on, or kimi node --set {FaultPlan.ConfigPath}.enabled=on)";

    /// <summary>Asks the gateway's node's fault agent; its refusal is the console's (exit 2).</summary>
    private static async Task<FaultProtocol.FaultsInjected> AskFaultAgentAsync(ConsoleSession session, IKimiMessage message, string what) =>
        await session.AskAsync<object>(message, what) switch
        {
            FaultProtocol.FaultsInjected done => done,
            FaultProtocol.FaultsRefused refused => throw new RefusedException(refused.Reason),
            var other => throw new ControlException($"unexpected reply to {what}: {other.GetType().Name}"),
        };

    private static JsonObject? ReportJson(object report) => report switch
    {
        WatchAlive a => new JsonObject { ["type"] = "watching", ["run_id"] = a.RunId.Value },
        IterationReported i => new JsonObject { ["type"] = "iteration", ["metrics"] = Views.Metrics(i.Metrics) },
        EvaluationReported e => new JsonObject
        {
            ["type"] = "evaluation", ["label"] = e.Label.ToString().ToLowerInvariant(), ["iteration"] = e.Iteration, ["accuracy"] = e.Evaluation.Accuracy,
        },
        WorkerRestarted w => new JsonObject { ["type"] = "worker_restarted", ["worker"] = w.Worker, ["incarnation"] = w.Incarnation, ["reason"] = w.Reason },
        RunWarning w => new JsonObject { ["type"] = "warning", ["message"] = w.Message },
        RunFinished f => new JsonObject { ["type"] = "finished", ["end_iteration"] = f.EndIteration, ["weight_version"] = f.WeightVersion, ["accuracy"] = f.Final.Accuracy },
        RunFailed f => new JsonObject { ["type"] = "failed", ["reason"] = f.Reason },
        _ => null,
    };

    private static string? ReportLine(object report) => report switch
    {
        WatchAlive a => $"watching run {a.RunId} (Ctrl-C ends the watch, not the run)",
        IterationReported i => Views.IterationLine(i.Metrics),
        EvaluationReported e => $"held-out ({e.Label.ToString().ToLowerInvariant()}) after iteration {e.Iteration}: accuracy {Views.Number(e.Evaluation.Accuracy)}",
        WorkerRestarted w => $"worker {w.Worker} restarted (incarnation {w.Incarnation}): {w.Reason}",
        RunWarning w => $"warning: {w.Message}",
        RunFinished f => $"finished at iteration {f.EndIteration}, weight version {f.WeightVersion}, held-out accuracy {Views.Number(f.Final.Accuracy)}",
        RunFailed f => $"failed: {f.Reason}",
        _ => null,
    };

    /// <summary>Passes what a watch delivers into the command's channel.</summary>
    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(ChannelWriter<object> writer) => ReceiveAny(m => writer.TryWrite(m));
    }

    // ------------------------------------------------------------------ interactive mode

    /// <summary>
    /// Commands typed at a prompt, over one connection opened from the global options (a dead contact point fails here,
    /// before the prompt), read from <paramref name="lines"/> (on a terminal with history and Tab completion, else plain
    /// lines). <c>help COMMAND</c> prints that command's help; <c>exit</c> or the end of input ends it.
    /// </summary>
    private static int Interactive(ParseResult parsed, TextWriter stdout, TextWriter stderr, ILineReader lines)
    {
        ConsoleSession session;
        try
        {
            session = Open(stdout, stderr)(parsed);
            session.ClientAsync().GetAwaiter().GetResult();
        }
        catch (RefusedException e) { stderr.WriteLine($"{Invoker.Name}: error: {e.Message}"); return ExitCodes.Refused; }
        catch (ControlException e) { stderr.WriteLine($"{Invoker.Name}: error: {e.Message}"); return ExitCodes.Unreachable; }
        try
        {
            // The global options given on the command line stay in force for every typed command.
            var global = new List<string>();
            foreach (var name in new[] { "--run" })
                if (parsed.GetValue<string?>(name) is { } v) global.AddRange([name, v]);
            if (parsed.GetValue<bool>("--json")) global.Add("--json");
            var program = Program(new Invoker(_ => session, ownsSession: false, stdout, stderr), withoutCommand: null);
            stderr.WriteLine($"{Invoker.Name}: connected to {session.Settings.ContactList}; commands: {string.Join(", ", CommandNames)}; help COMMAND; exit");
            int last = ExitCodes.Ok;
            while (true)
            {
                if (lines.ReadLine("kimi> ") is not { } line) break;
                var words = CommandLineParser.SplitCommandLine(line).ToList();
                if (words.Count == 0) continue;
                if (words is ["exit"] or ["quit"]) break;
                last = program.Run([.. words, .. global], stdout, stderr);
            }
            return last;
        }
        finally { session.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
    }
}
