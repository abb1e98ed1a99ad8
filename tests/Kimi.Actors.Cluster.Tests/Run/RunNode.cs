using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Node;
using Kimi.Actors.Cluster.Tests.Support;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Rl.Runs;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Cluster.Tests.Run;

/// <summary>
/// A one-node cluster with every entity type, in-process or process workers, its own database (SQLite or PostgreSQL) and checkpoint
/// folder, and a tiny run configuration (a 2-layer model, a few prompts) so a whole run takes seconds.
/// </summary>
internal sealed class RunNode : IAsyncDisposable
{
    public KimiNode Node { get; }
    public ActorSystem System => Node.System;

    private RunNode(KimiNode node) => Node = node;

    public static async Task<RunNode> StartAsync(TempDatabase db, string workerMode = "in-process", string extraNode = "")
    {
        var transport = workerMode == "in-process" ? "memory" : "shm";
        var config = ConfigurationFactory.ParseString($$"""
            kimi.workers {
              mode = {{workerMode}}
              threads = 1
              weights.transport = {{transport}}
              weights.folder = {{JsonSerializer.Serialize(Path.Combine(db.Folder, "weights"))}}
              backoff { min = 50ms, max = 200ms }
            }
            kimi.persistence.checkpoint-dir = {{JsonSerializer.Serialize(Path.Combine(db.Folder, "checkpoints"))}}
            {{extraNode}}
            """)
            .WithFallback(NodeConfig.For(db, cluster: true))
            .WithFallback(ConfigurationFactory.ParseString(KimiConfigLoader.ReadEmbedded("hocon/workers.conf")));
        return new RunNode(await KimiNode.StartAsync(config));
    }

    /// <summary>The run configuration journaled by StartRun: the shipped defaults with a tiny model and workload.</summary>
    public static string RunConfig(int iterations = 2, string extra = "")
    {
        var config = ConfigurationFactory.ParseString($$"""
            kimi {
              run.iterations = {{iterations}}
              model { hidden-size = 32, intermediate-size = 64, layers = 2, attention-heads = 4, kv-heads = 2, max-positions = 128 }
              tasks { families = [sum], train-per-level = 20, heldout-per-level = 4 }
              sft { steps = 4, sequences-per-step = 16, pack-length = 64 }
              rollout { prompts-per-iteration = 4, samples-per-prompt = 4, max-response-tokens = 24 }
              optimization.epochs = 1
              eval { every-iterations = 0, max-response-tokens = 24, samples-per-prompt = 2 }
            }
            {{extra}}
            """).WithFallback(ConfigurationFactory.ParseString(KimiConfigLoader.ReadEmbedded("hocon/kimi.conf")));
        return RunOptionsBinder.RunConfigHocon(config);
    }

    public async ValueTask DisposeAsync() => await Node.DisposeAsync();
}

/// <summary>Collects a run's progress reports (and refusals) in arrival order.</summary>
internal sealed class ProgressRecorder : ReceiveActor
{
    public ProgressRecorder(List<object> seen, TaskCompletionSource<object> done)
    {
        ReceiveAny(m =>
        {
            var item = m is RunReported r ? r.Report : m;
            lock (seen) seen.Add(item);
            if (item is RunFinished or RunFailed or RunRejected) done.TrySetResult(item);
        });
    }
}

internal static class ProgressRecorders
{
    public static (IActorRef Ref, List<object> Seen, TaskCompletionSource<object> Done) Start(ActorSystem system)
    {
        var seen = new List<object>();
        var done = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        return (system.ActorOf(Props.Create(() => new ProgressRecorder(seen, done))), seen, done);
    }
}
