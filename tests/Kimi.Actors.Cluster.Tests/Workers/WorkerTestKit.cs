using Akka.Configuration;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.WeightSync;
using Kimi.Actors.Cluster.Workers;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Identity;
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

    public static InitPolicy Init(string request, RunId runId, long seed = 1) => new(Req.Of(request), runId, Config.ToJson(), seed, null);

    public static GenerateBatch Batch(string request, int iteration, int prompts, int maxResponseTokens = 8) => new(Req.Of(request),
        Enumerable.Range(0, prompts).Select(p => new RolloutRequest(new TrajectoryId(new PromptId($"p{p}"), iteration, p),
            [CharTokenizer.Bos, .. CharTokenizer.Instance.Encode($"{p}+1=")])).ToList(),
        new RolloutSettings { MaxResponseTokens = maxResponseTokens }, Seed: iteration);

    public static RunId NewRunId() => RunId.Parse("run-" + Guid.NewGuid().ToString("N")[..12]);

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

/// <summary>Request ids by name, so tests read like the protocol: the same name is the same id.</summary>
internal static class Req
{
    private static readonly Dictionary<string, long> Numbers = [];
    private const long Session = 0x7e57;

    public static RequestId Of(string name)
    {
        lock (Numbers)
        {
            if (!Numbers.TryGetValue(name, out long n)) Numbers[name] = n = Numbers.Count + 1;
            return new RequestId(Session, n);
        }
    }

    public static string Name(RequestId id)
    {
        lock (Numbers) return Numbers.Single(p => p.Value == id.Sequence && id.Session == Session).Key;
    }
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
