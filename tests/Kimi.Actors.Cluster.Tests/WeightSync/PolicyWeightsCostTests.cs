using System.Diagnostics;
using Kimi.Actors.Cluster.Tests.Workers;
using Kimi.Actors.Cluster.WeightSync;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Kimi.Actors.Cluster.Tests.WeightSync;

/// <summary>What weight sync costs for the default policy (hidden 128, 4 layers, about 0.74M parameters).</summary>
public sealed class PolicyWeightsCostTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Publish_fetch_and_load_of_the_default_policy()
    {
        using var policy = new LlamaForCausalLM(CharTokenizer.Instance.Apply(new ModelConfig()), seed: 1);
        var stores = new (string Name, IWeightStore Store)[]
        {
            ("memory", new InMemoryWeightStore()),
            ("shm", new SharedFileWeightStore(SharedFileWeightStore.DefaultRoot(_folder.Path) == "/dev/shm/kimi" ? "/dev/shm/kimi" : _folder.Path)),
        };
        var run = TinyWorkload.NewRunId();
        using var target = new LlamaForCausalLM(policy.Config, seed: 2);
        foreach (var (name, store) in stores)
        {
            var publish = new List<double>();
            var fetch = new List<double>();
            var load = new List<double>();
            var build = new List<double>();
            for (int v = 1; v <= 7; v++)
            {
                var sw = Stopwatch.StartNew();
                var published = PolicyWeights.Publish(store, run, v, policy);
                publish.Add(sw.Elapsed.TotalMilliseconds);
                sw.Restart();
                var bytes = store.Fetch(published);
                fetch.Add(sw.Elapsed.TotalMilliseconds);
                sw.Restart();
                PolicyWeights.LoadInto(target, bytes, published.Location);
                load.Add(sw.Elapsed.TotalMilliseconds);
                sw.Restart();
                using (PolicyWeights.ToPolicy(bytes, CPU, published.Location)) build.Add(sw.Elapsed.TotalMilliseconds);
                Assert.True(published.Bytes > policy.ParameterCount() * 4 && published.Bytes < policy.ParameterCount() * 4 + 16_384);
            }
            store.Retract(run, 0);
            static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
            output.WriteLine($"{name}: {policy.ParameterCount():N0} parameters, publish {Median(publish):F1} ms, fetch+verify {Median(fetch):F1} ms, " +
                $"load into a policy {Median(load):F1} ms, build a new policy {Median(build):F1} ms (median of 7)");
        }
        foreach (var (n, p) in target.state_dict()) Assert.True(p.allclose(policy.state_dict()[n], rtol: 0, atol: 0), n);
    }
}
