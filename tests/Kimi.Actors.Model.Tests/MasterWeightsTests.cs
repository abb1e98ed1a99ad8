using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Inspection;
using Kimi.Actors.Model.Tests.Hf;
using Kimi.Actors.Model.Training;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Tests;

public class MasterWeightsTests
{
    private static readonly string Norm = "model.norm.weight";

    /// <summary>
    /// Ten SGD steps of 1e-3 on a weight of 1.0: each is below half of bf16's unit in the last place there (2^-8), so a
    /// bf16 parameter never moves, while its float32 master reaches 0.99 and the model gets 0.98828125 (the nearest bf16).
    /// </summary>
    [Fact]
    public void Small_updates_survive_in_fp32_masters_and_vanish_in_bf16_weights()
    {
        using var plain = PolicyCheckpoint.Load(HfFixtures.Folder("qwen3-bf16"));
        using var mixed = PolicyCheckpoint.Load(HfFixtures.Folder("qwen3-bf16"));
        using (no_grad())
        {
            plain.state_dict()[Norm].fill_(1.0);
            mixed.state_dict()[Norm].fill_(1.0);
        }
        var plainOptimizer = optim.SGD(plain.parameters(), 1e-3);
        using var masters = new MasterWeights(mixed);
        var mixedOptimizer = optim.SGD(masters.Parameters, 1e-3);
        for (int step = 0; step < 10; step++)
        {
            foreach (var model in new[] { plain, mixed })
                foreach (var p in model.parameters()) p.grad = ones_like(p);
            plainOptimizer.step();
            masters.CopyGradientsFromModel();
            mixedOptimizer.step();
            masters.CopyToModel();
        }
        Assert.Equal(1.0f, plain.state_dict()[Norm][0].to_type(ScalarType.Float32).item<float>());
        Assert.Equal(0.98828125f, mixed.state_dict()[Norm][0].to_type(ScalarType.Float32).item<float>());
        Assert.Equal(ScalarType.BFloat16, mixed.state_dict()[Norm].dtype);
        int normIndex = mixed.named_parameters().Select(p => p.name).ToList().IndexOf(Norm);
        Assert.Equal(0.99f, masters.Parameters[normIndex][0].item<float>(), 5);
    }

    [Fact]
    public void Training_a_bf16_model_through_masters_lowers_its_loss()
    {
        using var model = PolicyCheckpoint.Load(HfFixtures.Folder("qwen3-bf16"));
        model.train();
        using var masters = new MasterWeights(model);
        var optimizer = optim.AdamW(masters.Parameters, 3e-3);
        var ids = HfFixtures.Ids(HfFixtures.Reference("qwen3-bf16")["chats"]![0]!["ids"]);
        float Loss(bool step)
        {
            using var scope = NewDisposeScope();
            var input = tensor(ids[..^1].Select(i => (long)i).ToArray(), [1, ids.Length - 1]);
            var target = tensor(ids[1..].Select(i => (long)i).ToArray(), [ids.Length - 1]);
            var mask = Llama.AttentionMasks.Causal(ones([1, ids.Length - 1], dtype: ScalarType.Bool));
            var logits = model.Forward(input, arange(ids.Length - 1, dtype: ScalarType.Int64).unsqueeze(0), mask);
            var loss = nn.functional.cross_entropy(logits[0].to_type(ScalarType.Float32), target);
            if (step)
            {
                loss.backward();
                masters.CopyGradientsFromModel();
                optimizer.step();
                optimizer.zero_grad();
                masters.CopyToModel();
            }
            return loss.item<float>();
        }
        float before = Loss(step: false);
        for (int i = 0; i < 20; i++) Loss(step: true);
        float after = Loss(step: false);
        Assert.True(after < before * 0.5, $"loss {before:F3} -> {after:F3}");
        Assert.Equal(ScalarType.BFloat16, model.parameters().First().dtype);
    }

    [Fact]
    public void Dtype_auto_keeps_bf16_on_a_cpu_and_explicit_names_are_checked()
    {
        Assert.True(TorchRuntime.SupportsBFloat16(CPU));
        Assert.Equal(ScalarType.BFloat16, TorchRuntime.ResolveDtype("auto", CPU, ScalarType.BFloat16));
        Assert.Equal(ScalarType.Float32, TorchRuntime.ResolveDtype("auto", CPU, ScalarType.Float32));
        Assert.Equal(ScalarType.Float32, TorchRuntime.ResolveDtype("float32", CPU, ScalarType.BFloat16));
        var e = Assert.Throws<ArgumentException>(() => TorchRuntime.ResolveDtype("fp8", CPU, ScalarType.Float32));
        Assert.Contains("fp8", e.Message);
    }
}
