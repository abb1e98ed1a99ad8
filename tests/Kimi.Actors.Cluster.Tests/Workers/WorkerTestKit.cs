using Akka.Configuration;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.WeightSync;
using Kimi.Actors.Cluster.Workers;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Rollouts;
using static Kimi.Actors.Cluster.Protocol.WorkerProtocol;

namespace Kimi.Actors.Cluster.Tests.Workers;

/// <summary>
/// Minimal Akka configuration for worker tests: remoting on loopback with a free port, every message serialized
/// (Hyperion for the protocol). Stands in for the shared serialization configuration until that exists.
/// </summary>
internal static class TestAkka
{
    public const string Hocon = """
        akka {
          loglevel = WARNING
          stdout-loglevel = WARNING
          actor {
            provider = remote
            serialize-messages = on
            serializers { hyperion = "Akka.Serialization.HyperionSerializer, Akka.Serialization.Hyperion" }
            serialization-bindings { "Kimi.Actors.Cluster.Protocol.IKimiMessage, Kimi.Actors.Cluster" = hyperion }
          }
          remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0, maximum-frame-size = 32MiB }
        }
        """;

    public static Config Config => ConfigurationFactory.ParseString(Hocon);
}

/// <summary>A tiny policy (hidden 32, 2 layers) and requests for it, so worker tests spend their time on the plumbing.</summary>
internal static class TinyWorkload
{
    public static ModelConfig Config => CharTokenizer.Instance.Apply(new ModelConfig
    {
        HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 128,
    });

    public static LlamaForCausalLM Policy(long seed = 1)
    {
        var policy = new LlamaForCausalLM(Config, seed);
        policy.eval();
        return policy;
    }

    public static InitPolicy Init(string requestId, string runId, long seed = 1) => new(requestId, runId, Config.ToJson(), seed);

    public static GenerateBatch Batch(string requestId, int iteration, int prompts, int maxResponseTokens = 8) => new(requestId,
        Enumerable.Range(0, prompts).Select(p => new RolloutRequest($"p{p}", [CharTokenizer.Bos, .. CharTokenizer.Instance.Encode($"{p}+1=")], iteration, p)).ToList(),
        new RolloutSettings { MaxResponseTokens = maxResponseTokens }, Seed: iteration);

    public static string NewRunId() => "run-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Worker settings for tests: short back-off, fault plan and mode as given.</summary>
    public static WorkerSettings Settings(WorkerMode mode, FaultPlan? faults = null, int maxRestarts = 5, string? weightsFolder = null) => new()
    {
        Mode = mode,
        Threads = 1,
        StartTimeout = TimeSpan.FromSeconds(30),
        Backoff = new BackoffSettings(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), 0.2),
        RestartBudget = new RestartBudget(maxRestarts, TimeSpan.FromMinutes(1)),
        Weights = new WeightStoreSettings(mode == WorkerMode.InProcess ? WeightTransport.Memory : WeightTransport.SharedFile, weightsFolder),
        Faults = faults ?? FaultPlan.None,
    };
}

/// <summary>A folder under the temp path, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("kimi-workers-test-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
