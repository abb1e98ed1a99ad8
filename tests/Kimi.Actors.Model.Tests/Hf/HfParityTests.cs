using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Inspection;
using Kimi.Actors.Model.Tokenization;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Tests.Hf;

/// <summary>Tokens and logits against transformers' own, for the Llama-, Qwen2- and Qwen3-shaped fixtures.</summary>
public class HfParityTests
{
    [Theory, MemberData(nameof(HfFixtures.AllNames), MemberType = typeof(HfFixtures))]
    public void Tokens_equal_transformers_for_every_text(string name)
    {
        var reference = HfFixtures.Reference(name);
        using var tokenizer = HfTokenizer.Load(HfFixtures.Folder(name), reference["vocab_size"]!.GetValue<int>());
        Assert.Equal(reference["tokenizer_size"]!.GetValue<int>(), tokenizer.VocabSize);
        var texts = reference["texts"]!.AsArray();
        Assert.True(texts.Count >= 15);
        foreach (var entry in texts)
        {
            string text = entry!["text"]!.GetValue<string>();
            Assert.Equal(HfFixtures.Ids(entry["ids"]), tokenizer.Encode(text, addSpecialTokens: true));
            Assert.Equal(HfFixtures.Ids(entry["ids_no_special"]), tokenizer.Encode(text));
            Assert.Equal(entry["decoded"]!.GetValue<string>(), tokenizer.Decode(HfFixtures.Ids(entry["ids"])));
        }
    }

    [Theory, MemberData(nameof(HfFixtures.AllNames), MemberType = typeof(HfFixtures))]
    public void Special_tokens_and_ids_match_the_tokenizer_config(string name)
    {
        var reference = HfFixtures.Reference(name);
        using var tokenizer = HfTokenizer.Load(HfFixtures.Folder(name));
        var special = reference["special_tokens"]!;
        Assert.Equal((string?)special["bos"], tokenizer.BosToken);
        Assert.Equal((string?)special["eos"], tokenizer.EosToken);
        Assert.Equal((string?)special["pad"], tokenizer.PadToken);
        Assert.Equal(tokenizer.TokenId(tokenizer.EosToken), tokenizer.EosId);
        // Llama adds <|begin_of_text|> in front of a plain text; Qwen has no bos and adds nothing.
        var hello = reference["texts"]!.AsArray().First(t => (string)t!["text"]! == "Hello world")!;
        Assert.Equal(HfFixtures.Ids(hello["ids"]).Length - HfFixtures.Ids(hello["ids_no_special"]).Length, tokenizer.BosId is null ? 0 : 1);
    }

    [Theory, MemberData(nameof(HfFixtures.Float32Names), MemberType = typeof(HfFixtures))]
    public void Last_position_logits_match_transformers_within_1e4(string name)
    {
        var reference = HfFixtures.Reference(name);
        using var model = PolicyCheckpoint.Load(HfFixtures.Folder(name));
        Assert.Equal(ScalarType.Float32, model.parameters().First().dtype);
        Assert.Equal(reference["parameters"]!.GetValue<long>(), model.ParameterCount());
        foreach (var entry in reference["logits"]!.AsArray())
        {
            var expected = entry!["last_logits"]!.AsArray().Select(x => x!.GetValue<float>()).ToArray();
            var actual = ModelProbe.LastLogits(model, HfFixtures.Ids(entry["ids"]));
            Assert.Equal(expected.Length, actual.Length);
            double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(worst < 1e-4, $"{name} '{entry["text"]}': largest logit difference {worst:E2}");
        }
    }

    [Fact]
    public void Bf16_checkpoint_loads_in_bf16_and_stays_close_to_transformers_bf16()
    {
        var reference = HfFixtures.Reference("qwen3-bf16");
        using var model = PolicyCheckpoint.Load(HfFixtures.Folder("qwen3-bf16"));
        Assert.Equal(ScalarType.BFloat16, model.parameters().First().dtype);
        foreach (var entry in reference["logits"]!.AsArray())
        {
            var expected = entry!["last_logits"]!.AsArray().Select(x => x!.GetValue<float>()).ToArray();
            var actual = ModelProbe.LastLogits(model, HfFixtures.Ids(entry["ids"]));
            double scale = expected.Max(Math.Abs);
            double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            // bf16 keeps 8 bits of mantissa: different kernels round differently, so the bar is relative.
            Assert.True(worst < 0.05 * scale, $"'{entry["text"]}': largest difference {worst:E2} of logits up to {scale:F2}");
        }
    }

    [Theory, MemberData(nameof(HfFixtures.Float32Names), MemberType = typeof(HfFixtures))]
    public void Greedy_decoding_matches_transformers_generate(string name)
    {
        var reference = HfFixtures.Reference(name);
        using var model = PolicyCheckpoint.Load(HfFixtures.Folder(name));
        var stops = model.Pretrained!.StopTokenIds;
        foreach (var entry in reference["logits"]!.AsArray())
        {
            var expected = HfFixtures.Ids(entry!["greedy_new_tokens"]);
            var result = BatchGenerator.Generate(model, [new GenerationRequest(HfFixtures.Ids(entry["ids"]))],
                new GenerationOptions { Temperature = 0, MaxResponseTokens = expected.Length, StopTokens = [.. stops] }).Results[0];
            // transformers pads after a stop token; this generator ends there.
            int stopAt = Array.FindIndex(expected, stops.Contains);
            Assert.Equal(stopAt < 0 ? expected : expected[..(stopAt + 1)], result.Tokens);
        }
    }
}
