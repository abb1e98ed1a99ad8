using Akka.Configuration;
using Kimi.Actors.Model;
using Kimi.Actors.Rl.Long2Short;

namespace Kimi.Actors.Cluster.Configuration;

/// <summary>Maps <c>kimi.long2short { ... }</c> onto <see cref="Long2ShortOptions"/>, every key validated.</summary>
public static class Long2ShortOptionsBinder
{
    public static Long2ShortOptions Bind(Config config, ModelConfig model)
    {
        var r = new ConfigReader(config, "kimi");
        const string s = "long2short";
        var options = new Long2ShortOptions
        {
            Sampling = new Long2ShortSampling
            {
                Prompts = r.Int($"{s}.prompts", 1, 10_000_000),
                SamplesPerPrompt = r.Int($"{s}.samples-per-prompt", 1, 4096),
                Temperature = r.Double($"{s}.temperature", 0, exclusiveMin: true),
                ShortestRsTemperature = r.Double($"{s}.shortest-rs.temperature", 0, exclusiveMin: true),
                ShortestRsRounds = r.Int($"{s}.shortest-rs.rounds", 1, 1000),
            },
            Merge = new MergeOptions { ShortWeight = r.Double($"{s}.merge.short-weight", 0, 1) },
            ShortestRs = RunOptionsBinder.Sft(r, $"{s}.shortest-rs", model),
            Dpo = new DpoOptions
            {
                Beta = r.Double($"{s}.dpo.beta", 0, exclusiveMin: true),
                LengthRatio = r.Double($"{s}.dpo.length-ratio", 1),
                Steps = r.Int($"{s}.dpo.steps", 0, 10_000_000),
                PairsPerStep = r.Int($"{s}.dpo.pairs-per-step", 1, 1_000_000),
                LearningRate = r.Double($"{s}.dpo.learning-rate", 0, exclusiveMin: true),
                WarmupSteps = r.Int($"{s}.dpo.warmup-steps", 0),
                MinLrRatio = r.Double($"{s}.dpo.min-lr-ratio", 0, 1),
                GradClip = r.Double($"{s}.dpo.grad-clip", 0),
            },
            Rl = new Long2ShortRlOptions
            {
                Iterations = r.Int($"{s}.rl.iterations", 1, 1_000_000),
                MaxResponseTokens = r.Int($"{s}.rl.max-response-tokens", 1, model.MaxPositionEmbeddings),
                LengthPenaltyWeight = r.Double($"{s}.rl.length-penalty-weight", 0),
            },
        };
        // Only long2short's own keys are checked here; the run binder checks the rest of kimi.
        r.RejectUnknownKeys(config.GetConfig("kimi").Root.GetObject().Items.Keys.Where(k => k != s).ToArray());
        return options;
    }
}
