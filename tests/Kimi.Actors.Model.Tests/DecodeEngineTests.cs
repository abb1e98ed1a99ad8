using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Scoring;
using Kimi.Actors.Model.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Tests;

/// <summary>The decoding engine: continuous batching, length-grouped prefill, sampling on the device; and the trainer's checkpointing.</summary>
public class DecodeEngineTests
{
    private static readonly CharTokenizer Tok = CharTokenizer.Instance;
    private static int[] Prompt(string s) => [Tok.BosId, .. Tok.Encode(s)];

    [Fact]
    public void Graph_buckets_capture_attended_lengths_in_steps_of_128_ending_at_the_capacity()
    {
        // Every step must find a captured length that covers its positions: the last is always the capacity.
        Assert.Equal([128, 256, 384, 512, 640], DecodeEngine.GraphAttendLengths(640));
        Assert.Equal([128, 256, 320], DecodeEngine.GraphAttendLengths(320));
        Assert.Equal([128], DecodeEngine.GraphAttendLengths(128));
        Assert.Equal([64], DecodeEngine.GraphAttendLengths(64));
        Assert.Equal(128, DecodeEngine.AttendLength(1, 640, 128));
        Assert.Equal(256, DecodeEngine.AttendLength(129, 640, 128));
        Assert.Equal(640, DecodeEngine.AttendLength(600, 640, 128));
        Assert.Equal(192, DecodeEngine.AttendLength(130, 640, 64));
        // A replayed step looks its graph up by AttendLength: every length a step can ask for was captured.
        foreach (int capacity in new[] { 64, 128, 320, 640, 1000 })
        {
            var captured = DecodeEngine.GraphAttendLengths(capacity).ToHashSet();
            for (int filled = 1; filled <= capacity; filled++)
                Assert.Contains(DecodeEngine.AttendLength(filled, capacity, 128), captured);
        }
    }

    [Fact]
    public void Refilled_and_shrinking_batches_give_every_row_what_it_gets_decoded_alone()
    {
        using var model = TinyModels.Create(seed: 11);
        // Prompts of different lengths, some continuing earlier tokens (a resumed partial rollout), stop tokens that end
        // rows at different steps; at most 3 rows at a time, so finished rows are refilled from the 7 waiting ones.
        var requests = Enumerable.Range(0, 10).Select(i => new GenerationRequest(Prompt($"{i}+{i * 3}=" + new string('7', i % 4)),
            i % 3 == 0 ? Tok.Encode($"{i},") : null, MaxResponseTokens: 12 + i)).ToList();
        var options = new GenerationOptions { Temperature = 0, MaxResponseTokens = 24, StopTokens = [9999] };
        // A stop token this untrained model does produce (the 5th greedy token of the first row), so some rows stop early.
        options = options with { StopTokens = [BatchGenerator.Generate(model, [requests[0]], options).Results[0].Tokens[4]] };
        var together = BatchGenerator.Generate(model, requests, options with { MaxBatchSize = 3 });
        Assert.Equal("eager", together.Decoding);
        for (int i = 0; i < requests.Count; i++)
        {
            var alone = BatchGenerator.Generate(model, [requests[i]], options).Results[0];
            Assert.Equal(alone.Tokens, together.Results[i].Tokens);
            Assert.Equal(alone.StopReason, together.Results[i].StopReason);
            for (int k = 0; k < alone.LogProbs.Length; k++) Assert.Equal(alone.LogProbs[k], together.Results[i].LogProbs[k], 1e-4);
        }
        Assert.Contains(together.Results, r => r.StopReason == StopReason.Stop);
        Assert.Contains(together.Results, r => r.StopReason == StopReason.MaxLength);
        Assert.Equal(together.NewTokens, together.Results.Sum(r => r.Tokens.Length));
    }

    [Fact]
    public void Resumed_rows_are_prefilled_apart_from_fresh_ones_and_a_pass_holds_at_most_its_tokens()
    {
        var fresh = Enumerable.Range(0, 6).Select(i => (Slot: i, Sequence: new int[6 + i % 3])).ToList();
        var resumed = Enumerable.Range(6, 3).Select(i => (Slot: i, Sequence: new int[70 + i])).ToList();
        var groups = DecodeEngine.PrefillGroups([.. resumed, .. fresh], maxTokens: 1000).ToList();
        Assert.Equal(2, groups.Count);
        Assert.Equal(fresh.Select(f => f.Slot).Order(), groups[0].Select(g => g.Slot).Order());
        Assert.Equal(resumed.Select(f => f.Slot).Order(), groups[1].Select(g => g.Slot).Order());

        // 20 rows of 50 tokens with room for 200 padded tokens a pass: 4 rows per pass.
        var many = Enumerable.Range(0, 20).Select(i => (Slot: i, Sequence: new int[50])).ToList();
        var capped = DecodeEngine.PrefillGroups(many, maxTokens: 200).ToList();
        Assert.Equal(5, capped.Count);
        Assert.All(capped, g => Assert.True(g.Count * 50 <= 200));
        Assert.Equal(20, capped.Sum(g => g.Count));
    }

    [Fact]
    public void Device_sampling_draws_the_tokens_libtorchs_multinomial_draws_for_a_seed()
    {
        // The exponential race argmax(p / E) is libtorch's own one-sample multinomial: the same stream, the same tokens.
        var logits = randn([64, 99], generator: new Generator(5));
        using var temperature = tensor(new[] { 0.7f });
        using var gen = new Generator(42);
        using var sampler = new DecodeSampler(greedy: false, topP: 1.0, temperature, gen);
        var (tokens, logProbs) = sampler.Sample(logits);
        var expected = nn.functional.softmax(logits / 0.7, -1).multinomial(1, generator: new Generator(42)).squeeze(-1);
        Assert.Equal(expected.data<long>().ToArray(), tokens.data<long>().ToArray());
        var lp = nn.functional.log_softmax(logits, -1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1);
        Assert.True(lp.allclose(logProbs, atol: 1e-5));
        Assert.True(tokens.data<long>().Distinct().Count() > 20, "a temperature-0.7 draw over 99 tokens varies");
    }

    [Fact]
    public void Activation_checkpointing_gives_the_gradients_of_keeping_activations()
    {
        Dictionary<string, Tensor> Gradients(bool checkpointing)
        {
            using var model = TinyModels.Create(seed: 3);
            model.train();
            model.ActivationCheckpointing = checkpointing;
            using var scored = SequenceScorer.Score(model, [(Prompt("3+4="), Tok.Encode("3,7#7")), (Prompt("12+1+1="), Tok.Encode("12,13,14#14"))]);
            scored.SequenceLogProbs().sum().backward();
            return model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        }
        var kept = Gradients(false);
        var recomputed = Gradients(true);
        Assert.Equal(kept.Keys, recomputed.Keys);
        foreach (var (name, g) in kept)
        {
            Assert.True(g.abs().sum().item<float>() > 0, name);
            Assert.True(g.allclose(recomputed[name], rtol: 1e-4, atol: 1e-6), $"{name}: max diff {(g - recomputed[name]).abs().max().item<float>()}");
        }
    }
}
